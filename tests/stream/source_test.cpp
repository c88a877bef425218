#include "hotpath/stream/source.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hs = hotpath::stream;

namespace {

TEST(MemorySource, ServesTheBytesInBlocksAndCountsThem) {
  std::string data = "0123456789";
  hs::memory_source s(data, 4);
  EXPECT_EQ(s.size(), 10u);
  EXPECT_EQ(s.next(), "0123");
  EXPECT_EQ(s.next(), "4567");
  EXPECT_EQ(s.consumed(), 8u);
  EXPECT_EQ(s.next(), "89");
  EXPECT_EQ(s.next(), "");
  EXPECT_EQ(s.consumed(), 10u);
  hs::memory_source whole(data);
  EXPECT_EQ(whole.next().data(), data.data());
  EXPECT_EQ(whole.next(), "");
}

}  // namespace
