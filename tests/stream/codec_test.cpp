#include "hotpath/stream/codec.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hs = hotpath::stream;

namespace {

TEST(Plain, CopiesWhatFitsAndHandsThrough) {
  hs::plain p;
  char out[4];
  hs::decode_step s = p.decode("abcdef", out, false);
  EXPECT_EQ(s.in_used, 4u);
  EXPECT_EQ(s.out_made, 4u);
  EXPECT_EQ(std::string(out, 4), "abcd");
  EXPECT_TRUE(p.passthrough());
  EXPECT_EQ(p.name(), "plain");
}

struct not_a_codec {};
static_assert(!hs::codec<not_a_codec>);

}  // namespace
