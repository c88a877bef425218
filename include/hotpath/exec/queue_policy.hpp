// hotpath/exec/queue_policy.hpp: where a thread pool keeps tasks that wait for a worker.
//
// A queue policy is a type with a member template `queue<T>` offering push, push_bulk and try_pop;
// thread_pool checks it with the `queue_policy` concept.
//
//   hotpath::thread_pool<hotpath::queue::mutex_deque> pool;   // strict FIFO, easy to debug
//
// - queue::moodycamel (default): moodycamel::ConcurrentQueue, lock-free, FIFO per producer.
// - queue::mutex_deque: a std::deque behind a mutex; FIFO across producers, deterministic.
#pragma once

#include <concepts>
#include <cstddef>
#include <deque>
#include <iterator>
#include <mutex>
#include <new>
#include <utility>

#include "hotpath/config.hpp"
#include "hotpath/core/detail/concurrentqueue.hpp"
#include "hotpath/exec/detail/task.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace queue {

/// Lock-free multi-producer multi-consumer queue (moodycamel::ConcurrentQueue).
struct moodycamel {
  template <class T>
  class queue {
   public:
    void push(T&& v) {
      if (!q_.enqueue(std::move(v))) throw std::bad_alloc();
    }
    /// Moves `n` items from `first` in one operation.
    void push_bulk(T* first, std::size_t n) {
      if (!q_.enqueue_bulk(std::make_move_iterator(first), n)) throw std::bad_alloc();
    }
    bool try_pop(T& out) { return q_.try_dequeue(out); }

   private:
    ::moodycamel::ConcurrentQueue<T> q_;
  };
};

/// A std::deque behind a std::mutex: strict FIFO, simple to reason about.
struct mutex_deque {
  template <class T>
  class queue {
   public:
    void push(T&& v) {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(v));
    }
    void push_bulk(T* first, std::size_t n) {
      std::lock_guard lock(mu_);
      for (std::size_t i = 0; i < n; ++i)
        q_.push_back(std::move(first[i]));
    }
    bool try_pop(T& out) {
      std::lock_guard lock(mu_);
      if (q_.empty()) return false;
      out = std::move(q_.front());
      q_.pop_front();
      return true;
    }

   private:
    std::mutex mu_;
    std::deque<T> q_;
  };
};

}  // namespace queue

/// A queue policy: `P::queue<T>` with push, push_bulk and try_pop.
template <class P>
concept queue_policy = requires(typename P::template queue<detail::task>& q, detail::task& t,
                                detail::task* many, std::size_t n) {
  q.push(std::move(t));
  q.push_bulk(many, n);
  { q.try_pop(t) } -> std::same_as<bool>;
};

static_assert(queue_policy<queue::moodycamel>);
static_assert(queue_policy<queue::mutex_deque>);

}  // namespace hotpath::inline HOTPATH_ABI
