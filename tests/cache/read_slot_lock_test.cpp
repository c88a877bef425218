#include "hotpath/cache/detail/read_slot_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <latch>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace hd = hotpath::detail;

namespace {

struct counter_payload {
  std::uint64_t reads = 0;
};
using lock_type = hd::read_slot_lock<counter_payload>;

TEST(ReadSlotLock, SlotCountIsAPowerOfTwo) {
  EXPECT_EQ(lock_type(0).slot_count(), 1u);
  EXPECT_EQ(lock_type(1).slot_count(), 1u);
  EXPECT_EQ(lock_type(3).slot_count(), 4u);
  EXPECT_EQ(lock_type(8).slot_count(), 8u);
}

TEST(ReadSlotLock, ReadersFailWhileAWriterHoldsTheLock) {
  lock_type lock(4);
  lock.lock();
  EXPECT_FALSE(lock.try_lock_shared(0));
  EXPECT_FALSE(lock.try_lock_shared(3));
  lock.unlock();
  auto r = lock.try_lock_shared(0);
  ASSERT_TRUE(r);
  lock.unlock_shared(r);
}

TEST(ReadSlotLock, TwoReadersOfOneSlotDoNotShareIt) {
  lock_type lock(4);
  auto a = lock.try_lock_shared(1);
  ASSERT_TRUE(a);
  EXPECT_FALSE(lock.try_lock_shared(1));
  EXPECT_FALSE(lock.try_lock_shared(5));  // 5 mod 4: the same slot
  auto b = lock.try_lock_shared(2);
  ASSERT_TRUE(b);  // another slot reads at the same time
  EXPECT_NE(&a.payload(), &b.payload());
  lock.unlock_shared(a);
  lock.unlock_shared(b);
  auto c = lock.try_lock_shared(5);
  ASSERT_TRUE(c);
  lock.unlock_shared(c);
}

// The scoped reader gives its slot back however its scope ends, an exception included, so a
// writer is not left waiting on it.
TEST(ReadSlotLock, AScopedReaderReleasesItsSlotEvenWhenReadingThrows) {
  lock_type lock(2);
  {
    lock_type::scoped_reader r(lock, 0);
    ASSERT_TRUE(r);
    r.payload().reads = 3;
    EXPECT_FALSE(lock.try_lock_shared(0));  // held
  }
  EXPECT_THROW(
      {
        lock_type::scoped_reader r(lock, 0);
        ASSERT_TRUE(r);
        throw std::runtime_error("operator== threw");
      },
      std::runtime_error);
  lock.lock();  // returns only if no slot is still busy
  std::uint64_t seen = 0;
  lock.for_each_payload([&](counter_payload& p) { seen += p.reads; });
  lock.unlock();
  EXPECT_EQ(seen, 3u);
  lock.lock();
  EXPECT_FALSE(lock_type::scoped_reader(lock, 1));  // refused while a writer holds the lock
  lock.unlock();
}

// A writer that arrives while a reader is in waits for it; readers that come after the writer
// announced itself are turned away. No sleeps: the reader learns the writer is waiting when its
// own probe of another slot fails.
TEST(ReadSlotLock, AWriterWaitsForTheReadersIn) {
  lock_type lock(2);
  auto r = lock.try_lock_shared(0);
  ASSERT_TRUE(r);
  r.payload().reads = 7;
  std::atomic<bool> acquired{false};
  std::uint64_t seen = 0;
  std::thread writer([&] {
    lock.lock();
    acquired = true;
    lock.for_each_payload([&](counter_payload& p) { seen += p.reads; });
    lock.unlock();
  });
  for (;;) {  // until the writer has announced itself
    auto probe = lock.try_lock_shared(1);
    if (!probe) break;
    lock.unlock_shared(probe);
    std::this_thread::yield();
  }
  EXPECT_FALSE(acquired.load());
  lock.unlock_shared(r);
  writer.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(seen, 7u);  // the reader's payload write is visible to the writer
}

// Readers check an invariant that writers break and restore inside the lock; every read and
// every write is counted: each reader logs its reads in its slot's payload, and the writers'
// count is the value the invariant holds at the end.
TEST(ReadSlotLock, ReadersNeverSeeAWriteHalfDoneAndEveryOperationIsCounted) {
  constexpr unsigned threads = 4;
  constexpr unsigned ops = 50'000;
  lock_type lock(threads);
  std::uint64_t a = 0, b = 0;  // equal outside a write
  std::atomic<std::uint64_t> torn{0}, shared_reads{0}, exclusive_reads{0}, writes{0};
  std::latch start(threads);
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(t);
      start.arrive_and_wait();
      for (unsigned i = 0; i < ops; ++i) {
        if (rng() % 8 == 0) {
          std::lock_guard g(lock);
          ++a;
          ++b;
          ++writes;
        } else if (auto r = lock.try_lock_shared(t)) {
          if (a != b) ++torn;
          ++r.payload().reads;
          ++shared_reads;
          lock.unlock_shared(r);
        } else {
          std::lock_guard g(lock);  // the exclusive path a cache falls back to
          if (a != b) ++torn;
          ++exclusive_reads;
        }
      }
    });
  }
  for (auto& t : ts)
    t.join();
  std::uint64_t logged = 0;
  {
    std::lock_guard g(lock);
    lock.for_each_payload([&](counter_payload& p) { logged += p.reads; });
  }
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(a, writes.load());
  EXPECT_EQ(b, writes.load());
  EXPECT_EQ(logged, shared_reads.load());
  EXPECT_EQ(writes + shared_reads + exclusive_reads, std::uint64_t{threads} * ops);
}

TEST(ReadSlotLock, ThreadSlotsAreDistinctPerThread) {
  unsigned here = hd::thread_slot();
  EXPECT_EQ(hd::thread_slot(), here);  // stable within a thread
  unsigned there = here;
  std::thread([&] { there = hd::thread_slot(); }).join();
  EXPECT_NE(there, here);
}

// A thread's number is free again once it exits: threads started over and over (a benchmark's,
// a resized pool's) keep the same small numbers instead of colliding modulo the slot count.
TEST(ReadSlotLock, ThreadSlotsOfExitedThreadsAreReused) {
  unsigned here = hd::thread_slot();
  unsigned first = 0;
  std::thread([&] { first = hd::thread_slot(); }).join();
  for (int round = 0; round < 3; ++round) {
    unsigned a = 0;
    unsigned b = 0;
    std::latch both_numbered(2);
    std::latch checked(1);
    auto numbered = [&](unsigned& out) {
      out = hd::thread_slot();
      both_numbered.count_down();
      checked.wait();  // both stay alive until both numbers are read
    };
    std::thread ta(numbered, std::ref(a));
    std::thread tb(numbered, std::ref(b));
    both_numbered.wait();
    EXPECT_NE(a, b);
    EXPECT_NE(a, here);
    EXPECT_NE(b, here);
    EXPECT_TRUE(a == first || b == first) << a << " " << b << " " << first;
    checked.count_down();
    ta.join();
    tb.join();
  }
  unsigned again = 0;
  std::thread([&] { again = hd::thread_slot(); }).join();
  EXPECT_EQ(again, first);
}

}  // namespace
