// libFuzzer target: the zstd codec on arbitrary bytes.
#include "hotpath/stream/zstd.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::decode<hotpath::stream::zstd>(data, size);
  return 0;
}
