// hotpath/exec/queue_policy.hpp: where a thread pool keeps tasks that wait for a worker.
//
// A queue policy is a type with a member template `queue<T>` offering push, push_bulk and try_pop;
// thread_pool checks it with the `queue_policy` concept. push and push_bulk either queue
// everything or throw having queued nothing.
//
//   hotpath::thread_pool<hotpath::queue::mutex_deque> pool;   // strict FIFO, easy to debug
//
// - queue::moodycamel (default): moodycamel::ConcurrentQueue, lock-free, FIFO per producer.
// - queue::mutex_deque: a std::deque behind a mutex; FIFO across producers, deterministic.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/detail/concurrentqueue.hpp"
#include "hotpath/exec/detail/task.hpp"

namespace hotpath::inline HOTPATH_ABI {
namespace queue {

/// Lock-free multi-producer multi-consumer queue (moodycamel::ConcurrentQueue).
///
/// Each pushing thread gets its own producer token (an explicit producer): moodycamel's tokenless
/// enqueue looks the thread up in a hash table on every call, which was 2/3 of the cost of a
/// post. Tokens are owned by the queue and found through a small per-thread cache; past
/// max_tokens pushing threads, further threads use the tokenless path.
struct moodycamel {
  template <class T>
  class queue {
   public:
    static constexpr std::size_t max_tokens = 64;

    void push(T&& v) {
      bool ok;
      if (auto* tok = producer_token()) {
        ok = q_.enqueue(*tok, std::move(v));
      } else {
        ok = q_.enqueue(std::move(v));
      }
      if (!ok) throw std::bad_alloc();
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// g++ 12 at -O3 reports a write of "size 0" inside the explicit producer's bulk enqueue after
// inlining an atomic load of a block index it cannot see allocated: a false positive.
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
    /// Moves `n` items from `first` in one operation.
    void push_bulk(T* first, std::size_t n) {
      bool ok;
      if (auto* tok = producer_token()) {
        ok = q_.enqueue_bulk(*tok, std::make_move_iterator(first), n);
      } else {
        ok = q_.enqueue_bulk(std::make_move_iterator(first), n);
      }
      if (!ok) throw std::bad_alloc();
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    bool try_pop(T& out) {
      return q_.try_dequeue(out);
    }

    /// A consumer's place in the queue: popping through it goes straight to the producer it
    /// last took from instead of scanning all producers for the fullest.
    class consumer {
     public:
      explicit consumer(queue& q) : tok_(q.q_) {}

     private:
      friend class queue;
      ::moodycamel::ConsumerToken tok_;
    };
    bool try_pop(T& out, consumer& c) {
      return q_.try_dequeue(c.tok_, out);
    }
    /// Moves up to `max` items into `out` in one operation; returns how many.
    std::size_t try_pop_bulk(T* out, std::size_t max, consumer& c) {
      return q_.try_dequeue_bulk(c.tok_, out, max);
    }

   private:
    using token = ::moodycamel::ProducerToken;
    struct cache_entry {
      std::uint64_t queue_id = 0;
      token* tok = nullptr;
    };
    static constexpr std::size_t cache_size = 8;

    // Ids are never reused, so a cache entry of a destroyed queue can never match a live one.
    static std::uint64_t next_id() noexcept {
      static std::atomic<std::uint64_t> last{0};
      return last.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    token* producer_token() {
      thread_local cache_entry cache[cache_size];
      for (auto& e : cache) {
        if (e.queue_id == id_) return e.tok;
      }
      thread_local std::size_t victim = 0;
      token* tok = nullptr;
      {
        std::lock_guard lock(tokens_mu_);
        if (tokens_.size() >= max_tokens) return nullptr;
        tokens_.push_back(std::make_unique<token>(q_));
        tok = tokens_.back().get();
      }
      cache[victim] = {id_, tok};
      victim = (victim + 1) % cache_size;
      return tok;
    }

    ::moodycamel::ConcurrentQueue<T> q_;
    std::uint64_t id_ = next_id();
    std::mutex tokens_mu_;
    // Declared after q_: tokens detach from the queue before it is destroyed.
    std::vector<std::unique_ptr<token>> tokens_;
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
    /// All or nothing: if the deque cannot grow, what was moved in goes back to `first`.
    void push_bulk(T* first, std::size_t n) {
      std::lock_guard lock(mu_);
      std::size_t i = 0;
      try {
        for (; i < n; ++i)
          q_.push_back(std::move(first[i]));
      } catch (...) {
        while (i-- > 0) {
          first[i] = std::move(q_.back());
          q_.pop_back();
        }
        throw;
      }
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

namespace detail {

// A queue may offer `consumer`, per-thread state for try_pop(out, consumer); pools keep one per
// worker. Queues without it get an empty stand-in.
template <class Q>
struct consumer_of {
  struct type {
    explicit type(Q&) noexcept {}
  };
};
template <class Q>
  requires requires {
    typename Q::consumer;
  }
struct consumer_of<Q> {
  using type = typename Q::consumer;
};
template <class Q>
using consumer_of_t = typename consumer_of<Q>::type;

template <class Q, class T>
bool try_pop_as(Q& q, T& out, consumer_of_t<Q>& c) {
  if constexpr (requires { q.try_pop(out, c); }) {
    return q.try_pop(out, c);
  } else {
    return q.try_pop(out);
  }
}

// Up to `max` items at once where the queue offers try_pop_bulk(out, max, consumer), one
// otherwise.
template <class Q, class T>
std::size_t try_pop_bulk_as(Q& q, T* out, std::size_t max, consumer_of_t<Q>& c) {
  if constexpr (requires { q.try_pop_bulk(out, max, c); }) {
    return q.try_pop_bulk(out, max, c);
  } else {
    return try_pop_as(q, *out, c) ? 1 : 0;
  }
}

}  // namespace detail

/// A queue policy: `P::queue<T>` with push, push_bulk and try_pop; optionally a `consumer` type
/// with try_pop(out, consumer&) and try_pop_bulk(out, max, consumer&).
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
