#include "hotpath/stream/format_error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hs = hotpath::stream;

namespace {

TEST(FormatError, NamesTheLayerTheProblemTheOffsetAndTheLine) {
  hs::format_error e("gzip", "CRC32 mismatch", 1234, 0, true);
  EXPECT_STREQ(e.what(),
               "hotpath::stream gzip: CRC32 mismatch at input byte offset 1234 (records decoded "
               "from this unverified block were already delivered)");
  EXPECT_EQ(e.offset(), 1234u);
  EXPECT_TRUE(e.unverified());
  hs::format_error l = e.with_line(17);
  EXPECT_EQ(l.line(), 17u);
  EXPECT_EQ(l.layer(), "gzip");
  EXPECT_NE(std::string(l.what()).find("offset 1234, line 17"), std::string::npos);
  const hotpath::error& base = l;
  EXPECT_NE(std::string(base.what()).find("gzip"), std::string::npos);
}

}  // namespace
