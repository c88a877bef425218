// libFuzzer target: line_reader (through auto_detect) on arbitrary bytes; the lines handed out
// must add up to the decoded bytes.
#include "hotpath/stream/line_reader.hpp"

#include <cstdlib>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = hotpath_fuzz::split(data, size);
  namespace hs = hotpath::stream;
  hs::line_reader<hs::memory_source> r(hs::memory_source(in.data, in.block),
                                       {.input = hotpath_fuzz::caps(), .max_line_bytes = 1 << 16});
  std::uint64_t bytes = 0, lines = 0;
  try {
    while (auto l = r.next()) {
      bytes += l->size();
      ++lines;
    }
  } catch (const hs::format_error&) {
    return 0;
  }
  // Every line lost at most its LF and one CR; nothing else disappears.
  std::uint64_t produced = r.input().produced();
  if (bytes > produced || produced > bytes + 2 * lines) std::abort();
  return 0;
}
