#include "hotpath/exec/future.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace {

using namespace std::chrono_literals;
namespace d = hotpath::detail;

TEST(Future, DefaultConstructedIsInvalidAndGetThrows) {
  hotpath::future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_FALSE(f.is_ready());
  EXPECT_THROW((void)f.get(), hotpath::error);
}

TEST(Future, DeliversAValueOnceThenBecomesInvalid) {
  d::promise<std::unique_ptr<int>> p;
  auto f = d::make_future(p);
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.is_ready());
  p.set_value(std::make_unique<int>(7));
  EXPECT_TRUE(f.is_ready());
  EXPECT_EQ(*f.get(), 7);
  EXPECT_FALSE(f.valid());
  EXPECT_THROW((void)f.get(), hotpath::error);
}

TEST(Future, RethrowsTheStoredException) {
  d::promise<void> p;
  auto f = d::make_future(p);
  p.set_exception(std::make_exception_ptr(std::out_of_range("row 12")));
  EXPECT_THROW(f.get(), std::out_of_range);
}

TEST(Future, APromiseDroppedUnsetCompletesWithCancelled) {
  hotpath::future<int> f;
  {
    d::promise<int> p;
    f = d::make_future(p);
  }
  EXPECT_THROW((void)f.get(), hotpath::cancelled);
}

TEST(Future, WaitForTimesOutThenSeesTheValue) {
  d::promise<int> p;
  auto f = d::make_future(p);
  EXPECT_EQ(f.wait_for(1ms), std::future_status::timeout);
  EXPECT_EQ(f.wait_until(std::chrono::steady_clock::now()), std::future_status::timeout);
  std::thread t([&p] { p.set_value(3); });
  EXPECT_EQ(f.wait_for(60s), std::future_status::ready);
  t.join();
  EXPECT_EQ(f.get(), 3);
}

TEST(Future, ABlockedWaiterIsWokenByAnotherThread) {
  for (int i = 0; i < 200; ++i) {
    d::promise<int> p;
    auto f = d::make_future(p);
    std::thread t([&p, i] { p.set_value(i); });
    EXPECT_EQ(f.get(), i);
    t.join();
  }
}

TEST(Future, DestroyingAnUnreadFutureFreesTheState) {
  d::promise<std::shared_ptr<int>> p;
  auto counted = std::make_shared<int>(1);
  {
    auto f = d::make_future(p);
    p.set_value(counted);
  }
  EXPECT_EQ(counted.use_count(), 1);  // the state (and its copy) is gone
}

}  // namespace
