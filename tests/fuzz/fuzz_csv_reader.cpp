// libFuzzer target: csv_reader on arbitrary bytes, with and without a header, ragged rows
// allowed or not.
#include "hotpath/stream/csv_reader.hpp"

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = hotpath_fuzz::split(data, size);
  namespace hs = hotpath::stream;
  bool header = size > 0 && (data[0] & 0x10) != 0;
  auto ragged = size > 0 && (data[0] & 0x20) != 0 ? hs::ragged_rows::allow : hs::ragged_rows::error;
  try {
    hs::csv_reader<hs::memory_source, hs::plain> r(hs::memory_source(in.data, in.block),
                                                   {.input = hotpath_fuzz::caps(),
                                                    .header = header,
                                                    .ragged = ragged,
                                                    .max_record_bytes = 1 << 16});
    while (auto row = r.next()) {
      // Every field view lies inside memory the reader owns or the input: touch each byte.
      volatile char sink = 0;
      for (std::string_view f : *row)
        for (char c : f)
          sink = static_cast<char>(sink ^ c);
    }
  } catch (const hs::format_error&) {
  }
  return 0;
}
