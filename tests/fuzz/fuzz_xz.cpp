// libFuzzer target: the xz codec on arbitrary bytes.
#include "hotpath/stream/xz.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::decode<hotpath::stream::xz>(data, size);
  return 0;
}
