// libFuzzer target: the gzip codec on arbitrary bytes.
#include "hotpath/stream/gzip.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hotpath_fuzz::decode<hotpath::stream::gzip>(data, size);
  return 0;
}
