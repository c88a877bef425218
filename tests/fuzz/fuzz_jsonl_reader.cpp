// libFuzzer target: jsonl_reader on arbitrary bytes, under both bad-line policies; skipping
// must see as many good documents as stopping at the first error saw before it.
#include "hotpath/stream/jsonl_reader.hpp"

#include <cstdlib>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = hotpath_fuzz::split(data, size);
  namespace hs = hotpath::stream;
  std::uint64_t strict_docs = 0;
  bool strict_failed = false;
  try {
    hs::jsonl_reader<hs::memory_source, hs::plain> r(hs::memory_source(in.data, in.block),
                                                     {.input = hotpath_fuzz::caps()});
    while (r.next())
      ++strict_docs;
  } catch (const hs::format_error&) {
    strict_failed = true;
  }
  hs::jsonl_reader<hs::memory_source, hs::plain> skip(
      hs::memory_source(in.data, in.block),
      {.input = hotpath_fuzz::caps(), .bad = hs::bad_lines::skip});
  std::uint64_t docs = 0;
  try {
    while (skip.next())
      ++docs;
  } catch (const hs::format_error&) {
    return 0;  // a line over the limit
  }
  if (docs < strict_docs || (!strict_failed && (docs != strict_docs || skip.skipped() != 0)))
    std::abort();
  return 0;
}
