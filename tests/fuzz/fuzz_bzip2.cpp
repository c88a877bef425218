// libFuzzer target: the bzip2 codec on arbitrary bytes.
#include "hotpath/stream/bzip2.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::decode<hotpath::stream::bzip2>(data, size);
  return 0;
}
