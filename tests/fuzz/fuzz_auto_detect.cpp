// libFuzzer target: the auto_detect codec on arbitrary bytes.
#include "hotpath/stream/auto_detect.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::decode<hotpath::stream::auto_detect>(data, size);
  return 0;
}
