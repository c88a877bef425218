#include "hotpath/core/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <type_traits>

namespace {

TEST(Error, DerivesFromRuntimeError) {
  static_assert(std::is_base_of_v<std::runtime_error, hotpath::error>);
  try {
    throw hotpath::error("boom");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
}

TEST(Error, ThrowErrorJoinsTextAndNumbers) {
  try {
    hotpath::detail::throw_error("pool '", std::string("io"), "' got ", 42, " and ", -7, " and ",
                                 2.5, " ", true, '!');
    FAIL() << "throw_error returned";
  } catch (const hotpath::error& e) {
    EXPECT_STREQ(e.what(), "pool 'io' got 42 and -7 and 2.5 true!");
  }
}

TEST(Error, ThrowErrorCanThrowADerivedType) {
  struct special : hotpath::error {
    using hotpath::error::error;
  };
  EXPECT_THROW(hotpath::detail::throw_error<special>("x"), special);
}

}  // namespace
