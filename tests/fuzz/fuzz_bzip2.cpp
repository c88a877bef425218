// libFuzzer target: the bzip2 codec on arbitrary bytes, serial and parallel. Whenever one of
// the two decoders accepts the input, the other must accept it too and decode the same bytes.
#include "hotpath/stream/bzip2.hpp"

#include <string>

#include "fuzz_common.hpp"

namespace {

bool decode(hotpath_fuzz::input in, unsigned threads, std::string& out) {
  auto opts = hotpath_fuzz::caps();
  opts.codec.bzip2_threads = threads;
  hotpath::stream::block_reader<hotpath::stream::memory_source, hotpath::stream::bzip2> r(
      hotpath::stream::memory_source(in.data, in.block), opts);
  try {
    for (auto b = r.next(); !b.empty(); b = r.next())
      out.append(b);
  } catch (const hotpath::stream::format_error&) {
    return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::input in = hotpath_fuzz::split(data, size);
  std::string serial, parallel;
  bool a = decode(in, 1, serial);
  bool b = decode(in, 2, parallel);
  if (a != b || (a && serial != parallel)) __builtin_trap();
  return 0;
}
