// hotpath/exec/batch_processor.hpp: groups items into batches for a sink (a bulk insert, a
// network write), with size, weight and age limits, backpressure, retries and a dead letter.
//
//   hotpath::thread_pool<> pool;
//   hotpath::batch_processor<Row> out(pool, [&](const std::vector<Row>& rows) { db.insert(rows); },
//                                     {.max_items = 500, .max_delay =
//                                     std::chrono::milliseconds(50),
//                                      .retry = {.max_attempts = 3}});
//   out.add(row);          // from any thread; blocks while `capacity` items are undelivered
//   out.flush();           // returns once everything added before it was delivered
//
// A batch is handed to the sink when it holds `max_items` items, when its weight (by the weigher
// policy) would pass `max_bytes`, or when its oldest item has waited `max_delay` on the clock
// policy. An item heavier than `max_bytes` goes alone, at once. Sinks run on the pool, at most
// `max_in_flight` batches at a time. With one partition (the default) those batches may overlap
// and finish in any order; with `partitions` > 1 items are spread by `key`, and a partition has
// at most one batch in flight, so items of one key reach the sink in order.
//
// Backpressure: at most `capacity` items are accepted and not yet delivered. When full, add()
// follows `on_overflow`: overflow::block waits (up to `block_timeout`), overflow::reject refuses
// the new item, overflow::drop_oldest evicts the oldest waiting item. Refused and evicted items go
// to `on_drop` and are counted; add() returns false for a refused item.
//
// Failures: a sink that throws is retried with `retry` (backing off on the pool's timer, no
// worker waits); after the last attempt the batch goes to `dead_letter` with the exception (by
// default it is counted and reported on stderr). No item is lost silently.
//
// Time: a manual clock policy makes max_delay testable: advance it and call poll(). (The pool's
// timer still wakes on real time while items wait, about once per max_delay; with a manual
// clock those wake-ups find nothing old enough and only re-arm.)
// Metrics: stats() is a snapshot; register_metrics() exports it to a metrics::registry.
// Thread safety: every member may be called from any thread. The sink is called for at most
// max_in_flight batches at once (one at a time with the default max_in_flight = 1), and for one
// batch at a time per partition when partitions > 1: a sink that is not reentrant keeps
// max_in_flight at 1. close() (and the destructor) stop intake and deliver everything.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/clock.hpp"
#include "hotpath/core/detail/policy.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/core/weigher.hpp"
#include "hotpath/exec/retry.hpp"
#include "hotpath/metrics/exposition.hpp"
#include "hotpath/metrics/histogram.hpp"
#include "hotpath/metrics/registry.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// What add() does when `capacity` items are already waiting.
enum class overflow : std::uint8_t { block, reject, drop_oldest };

/// Why a batch was handed to the sink.
enum class flush_reason : std::uint8_t { items, bytes, oversized, delay, explicit_ };

/// A snapshot of a batch processor's counters.
struct batch_stats {
  std::uint64_t added = 0;              ///< items accepted
  std::uint64_t delivered = 0;          ///< items in batches the sink took
  std::uint64_t dead_lettered = 0;      ///< items in batches that failed every attempt
  std::uint64_t rejected = 0;           ///< items refused by overflow::reject or a block timeout
  std::uint64_t dropped = 0;            ///< items evicted by overflow::drop_oldest
  std::uint64_t batches = 0;            ///< batches handed to the sink (each counted once)
  std::uint64_t sink_failures = 0;      ///< sink calls that threw (retries included)
  std::uint64_t flushes[5] = {};        ///< batches by flush_reason
  std::uint64_t queue_depth = 0;        ///< items accepted and not yet delivered
  metrics::histogram_snapshot sink_ns;  ///< time per sink call
  [[nodiscard]] double mean_batch_size() const noexcept {
    return batches == 0
               ? 0.0
               : static_cast<double>(delivered + dead_lettered) / static_cast<double>(batches);
  }
};

/// Batches items of type T for a sink; see the header comment for the contract.
template <class T, class... Policies>
class batch_processor {
  template <class Q>
  struct weigher_trait : std::bool_constant<weigher<Q, T>> {};

 public:
  using weigher_type = detail::select_policy_t<weigher_trait, weigh_unit, Policies...>;
  using clock_type =
      detail::select_policy_t<detail::is_clock_policy, std::chrono::steady_clock, Policies...>;
  using batch = std::vector<T>;
  using sink_type = std::function<void(const batch&)>;

  static_assert((... && (weigher<Policies, T> || hotpath::clock<Policies>)),
                "hotpath::batch_processor: a policy is neither a weigher for T nor a clock");

  struct options {
    std::size_t max_items = 1000;
    /// Weight limit of a batch by the weigher; 0: none.
    std::size_t max_bytes = 0;
    std::chrono::nanoseconds max_delay = std::chrono::milliseconds(100);
    /// Items accepted and not yet delivered, at most.
    std::size_t capacity = 100'000;
    overflow on_overflow = overflow::block;
    /// How long add() blocks under overflow::block; negative: no limit.
    std::chrono::nanoseconds block_timeout = std::chrono::nanoseconds(-1);
    /// Sink calls running at once. With one partition they overlap and may finish in any order;
    /// with several, each partition still has one batch in flight at a time.
    std::size_t max_in_flight = 1;
    /// Ordered lanes; items of one key stay in order. Needs `key` when > 1.
    std::size_t partitions = 1;
    std::function<std::size_t(const T&)> key = {};
    retry_policy retry = {.max_attempts = 1};
    /// Receives a batch that failed every attempt, with the last exception.
    std::function<void(batch&&, std::exception_ptr)> dead_letter = {};
    /// Receives items refused or evicted by the overflow policy.
    std::function<void(T&&, overflow)> on_drop = {};
  };

  /// Delivers to `sink` on `pool` (any type with post(f) and post_after(delay, f), such as
  /// thread_pool<>), which must outlive the processor. Throws hotpath::error on invalid options.
  template <class Pool>
  batch_processor(Pool& pool, sink_type sink, options opts = {}, clock_type clk = clock_type{})
      : sink_(std::move(sink)), opts_(std::move(opts)), clock_(std::move(clk)) {
    if (opts_.max_items == 0 || opts_.capacity == 0 || opts_.max_in_flight == 0 ||
        opts_.partitions == 0 || (opts_.partitions > 1 && !opts_.key) || !sink_) {
      hotpath::detail::throw_error(
          "hotpath::batch_processor: invalid options (max_items ", opts_.max_items, ", capacity ",
          opts_.capacity, ", max_in_flight ", opts_.max_in_flight, ", partitions ",
          opts_.partitions, opts_.partitions > 1 && !opts_.key ? " without a key" : "",
          sink_ ? ")" : ", no sink)");
    }
    opts_.retry.validate();
    post_ = [&pool](std::function<void()> f) { pool.post(std::move(f)); };
    post_after_ = [&pool](std::chrono::nanoseconds d, std::function<void()> f) {
      pool.post_after(d, std::move(f));
    };
    lanes_.resize(opts_.partitions);
    // finish() must not allocate: it also runs from a delivery's destructor.
    if (opts_.partitions == 1) lanes_[0].finished_ahead.reserve(opts_.max_in_flight);
  }

  batch_processor(const batch_processor&) = delete;
  batch_processor& operator=(const batch_processor&) = delete;
  /// close(): delivers what waits and waits for the sink.
  ~batch_processor() {
    close();
    metrics_handle_.reset();
  }

  /// Accepts an item, applying the overflow policy when full; false if it was refused.
  /// Throws hotpath::error after close().
  bool add(T item) {
    std::unique_lock lock(mu_);
    check_open();
    if (pending_ >= opts_.capacity && !make_room(lock, item)) return false;
    accept(lock, std::move(item));
    launch_ready(lock);
    return true;
  }

  /// Hands every waiting item to the sink now and returns once everything accepted before the
  /// call has been delivered or dead-lettered.
  void flush() {
    std::unique_lock lock(mu_);
    for (std::size_t p = 0; p < lanes_.size(); ++p)
      cut(lock, p, flush_reason::explicit_);
    launch_ready(lock);
    // A lane's `done` counts its batches finished without a gap, so "every batch cut so far is
    // done" is exact even when batches of one lane overlap.
    std::vector<std::uint64_t> target(lanes_.size());
    for (std::size_t p = 0; p < lanes_.size(); ++p)
      target[p] = lanes_[p].cut;
    done_cv_.wait(lock, [&] {
      for (std::size_t p = 0; p < lanes_.size(); ++p) {
        if (lanes_[p].done < target[p]) return false;
      }
      return true;
    });
  }

  /// Flushes lanes whose oldest item has waited max_delay (the timer does this on its own; tests
  /// with a manual clock call it after advancing the clock).
  void poll() {
    std::unique_lock lock(mu_);
    auto now = clock_.now();
    for (std::size_t p = 0; p < lanes_.size(); ++p) {
      if (!lanes_[p].items.empty() && now - lanes_[p].oldest >= opts_.max_delay) {
        cut(lock, p, flush_reason::delay);
      }
    }
    launch_ready(lock);
  }

  /// Stops intake, delivers everything and waits for the sink. Later calls do nothing.
  void close() {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    space_cv_.notify_all();
    {
      std::lock_guard lock(link_->mu);
      link_->self = nullptr;
    }
    flush();
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return in_flight_ == 0 && finishing_ == 0; });
  }

  /// Counters since construction, the items waiting now and the sink-time histogram.
  [[nodiscard]] batch_stats stats() const {
    batch_stats s;
    {
      std::lock_guard lock(mu_);
      s = stats_;
      s.queue_depth = pending_;
    }
    s.sink_ns = sink_time_.snapshot();
    return s;
  }

  /// Exports stats() into `reg` under `<name>_...` until the processor is destroyed (or this is
  /// called again).
  void register_metrics(metrics::registry& reg, std::string name) {
    metrics_handle_ = reg.add_collector([this, name = std::move(name)](metrics::exposition& out) {
      batch_stats s = stats();
      out.add_counter(name + "_items_added_total", "Items accepted.", {}, s.added);
      out.add_counter(name + "_items_delivered_total", "Items in batches the sink took.", {},
                      s.delivered);
      out.add_counter(name + "_items_dead_lettered_total",
                      "Items in batches that failed every attempt.", {}, s.dead_lettered);
      out.add_counter(name + "_items_rejected_total",
                      "Items refused by overflow::reject or a block timeout.", {}, s.rejected);
      out.add_counter(name + "_items_dropped_total", "Items evicted by overflow::drop_oldest.", {},
                      s.dropped);
      out.add_counter(name + "_sink_failures_total", "Sink calls that threw, retries included.", {},
                      s.sink_failures);
      static constexpr std::string_view reasons[] = {"items", "bytes", "oversized", "delay",
                                                     "explicit"};
      for (std::size_t r = 0; r < std::size(reasons); ++r) {
        metrics::label why[] = {{"reason", reasons[r]}};
        out.add_counter(name + "_batches_total", "Batches handed to the sink, by flush reason.",
                        why, s.flushes[r]);
      }
      out.add_gauge(name + "_queue_depth", "Items accepted and not yet delivered.", {},
                    static_cast<double>(s.queue_depth));
      out.add_histogram(name + "_sink_seconds", "Time per sink call.", {}, s.sink_ns,
                        {.scale = 1e-9});
    });
  }

 private:
  struct lane {
    batch items;
    std::size_t weight = 0;
    typename clock_type::time_point oldest{};
    bool busy = false;  // a batch of this lane is in flight (only partitions > 1 wait for it)
    std::deque<std::pair<batch, flush_reason>> ready;  // cut, waiting for the lane or a slot
    std::uint64_t cut = 0;                             // batches cut so far
    // Batches 0..done-1 are all delivered or dead-lettered; later ones that finished first (one
    // partition, overlapping batches) wait in finished_ahead until the gap closes.
    std::uint64_t done = 0;
    std::vector<std::uint64_t> finished_ahead;
  };

  void check_open() const {
    if (closed_) hotpath::detail::throw_error("hotpath::batch_processor: add after close");
  }

  // Full: frees a slot as the overflow policy says; false when the item is refused.
  bool make_room(std::unique_lock<std::mutex>& lock, T& item) {
    switch (opts_.on_overflow) {
      case overflow::block: {
        auto has_room = [&] { return pending_ < opts_.capacity || closed_; };
        bool ok = opts_.block_timeout.count() < 0
                      ? (space_cv_.wait(lock, has_room), true)
                      : space_cv_.wait_for(lock, opts_.block_timeout, has_room);
        check_open();
        if (ok) return true;
        break;
      }
      case overflow::drop_oldest: {
        lane* victim = nullptr;
        for (auto& l : lanes_) {
          if (!l.items.empty() && (victim == nullptr || l.oldest < victim->oldest)) victim = &l;
        }
        if (victim != nullptr) {
          T old = std::move(victim->items.front());
          victim->items.erase(victim->items.begin());
          victim->weight -= weigher_type{}(old);
          --pending_;
          ++stats_.dropped;
          report_drop(lock, std::move(old), overflow::drop_oldest);
          return true;
        }
        break;  // everything is in flight: nothing to evict, refuse the new item
      }
      case overflow::reject:
        break;
    }
    ++stats_.rejected;
    report_drop(lock, std::move(item), opts_.on_overflow);
    return false;
  }

  void report_drop(std::unique_lock<std::mutex>& lock, T&& item, overflow why) {
    if (!opts_.on_drop) return;
    lock.unlock();
    try {
      opts_.on_drop(std::move(item), why);
    } catch (...) {
    }
    lock.lock();
  }

  void accept(std::unique_lock<std::mutex>& lock, T&& item) {
    std::size_t p = lanes_.size() == 1 ? 0 : opts_.key(item) % lanes_.size();
    lane& l = lanes_[p];
    std::size_t w = weigher_type{}(item);
    ++pending_;
    ++stats_.added;
    if (opts_.max_bytes != 0 && w > opts_.max_bytes) {
      // Alone and at once: it can never share a batch.
      cut(lock, p, flush_reason::bytes);  // what waited before it keeps its order
      l.ready.push_back({batch{}, flush_reason::oversized});
      l.ready.back().first.push_back(std::move(item));
      ++l.cut;
      dispatch(lock);
      return;
    }
    if (opts_.max_bytes != 0 && l.weight + w > opts_.max_bytes) cut(lock, p, flush_reason::bytes);
    if (l.items.empty()) {
      l.oldest = clock_.now();
      arm_timer(lock);
    }
    l.items.push_back(std::move(item));
    l.weight += w;
    if (l.items.size() >= opts_.max_items) cut(lock, p, flush_reason::items);
  }

  // Moves lane p's waiting items into a ready batch and starts what can start.
  void cut(std::unique_lock<std::mutex>& lock, std::size_t p, flush_reason why) {
    lane& l = lanes_[p];
    if (l.items.empty()) return;
    l.ready.push_back({std::exchange(l.items, batch{}), why});
    l.weight = 0;
    ++l.cut;
    dispatch(lock);
  }

  // Starts ready batches while flight slots are free: one per idle lane with several partitions;
  // with one partition the lane need not be idle. Each cut and each finished batch calls this,
  // so every free slot is taken as soon as a batch is ready for it.
  void dispatch(std::unique_lock<std::mutex>&) {
    for (std::size_t i = 0; i < lanes_.size() && in_flight_ < opts_.max_in_flight; ++i) {
      std::size_t p = (next_lane_ + i) % lanes_.size();
      lane& l = lanes_[p];
      // Several partitions promise per-key order: one batch in flight per lane.
      if ((l.busy && lanes_.size() > 1) || l.ready.empty()) continue;
      // Batches are numbered in cut order, and `ready` keeps that order.
      std::uint64_t seq = l.cut - l.ready.size();
      auto b = std::make_shared<batch>(std::move(l.ready.front().first));
      ++stats_.flushes[static_cast<int>(l.ready.front().second)];
      l.ready.pop_front();
      ++stats_.batches;
      l.busy = true;
      ++in_flight_;
      // Posted after the lock is released (launch_ready): a refusing pool dead-letters the
      // batch, which takes the lock and calls user code.
      to_launch_.push_back(std::make_shared<delivery>(this, p, seq, std::move(b)));
    }
    next_lane_ = (next_lane_ + 1) % lanes_.size();
  }

  // One batch on its way to the sink. If the pool drops it unrun (shut down), the destructor
  // sends the batch to the dead letter, so nothing waits for it forever and no item is lost.
  struct delivery : std::enable_shared_from_this<delivery> {
    delivery(batch_processor* s, std::size_t lane, std::uint64_t number,
             std::shared_ptr<batch> items)
        : self(s), p(lane), seq(number), b(std::move(items)), state(s->opts_.retry) {}
    ~delivery() {
      if (pending) {
        self->dead(std::move(*b),
                   std::make_exception_ptr(cancelled("hotpath::batch_processor: pool shut down")));
        self->finish(p, seq, b_size, true);
      }
    }
    batch_processor* self;
    std::size_t p;
    std::uint64_t seq;  // the batch's number in its lane
    std::shared_ptr<batch> b;
    std::size_t b_size = b->size();
    detail::retry_state state;
    bool pending = true;  // not yet handed back to finish()
  };

  // Posts the deliveries dispatch() prepared; called with the lock held, returns with it held.
  void launch_ready(std::unique_lock<std::mutex>& lock) {
    while (!to_launch_.empty()) {
      auto batchs = std::exchange(to_launch_, {});
      lock.unlock();
      for (auto& d : batchs)
        launch(nullptr, std::move(d));
      lock.lock();
    }
  }

  // Posts the delivery now (delay null) or after a delay; a pool that refuses counts as a drop.
  void launch(const std::chrono::nanoseconds* delay, std::shared_ptr<delivery> d) {
    auto run = [d] { d->self->deliver(*d); };
    try {
      if (delay == nullptr) {
        post_(std::move(run));
      } else {
        post_after_(*delay, std::move(run));
      }
    } catch (...) {
      // The lambda (and its copy of d) is gone; d's destructor dead-letters when we drop ours.
    }
  }

  void deliver(delivery& d) {
    std::exception_ptr error;
    auto start = std::chrono::steady_clock::now();
    try {
      sink_(*d.b);
    } catch (...) {
      error = std::current_exception();
    }
    sink_time_.record(std::chrono::steady_clock::now() - start);
    if (!error) {
      d.pending = false;
      return finish(d.p, d.seq, d.b_size, false);
    }
    {
      std::lock_guard lock(mu_);
      ++stats_.sink_failures;
    }
    if (auto delay = d.state.next(&error)) {
      // Without a worker waiting: the pool's timer posts the next attempt.
      return launch(&*delay, d.shared_from_this());
    }
    d.pending = false;
    dead(std::move(*d.b), std::move(error));
    finish(d.p, d.seq, d.b_size, true);
  }

  void dead(batch&& b, std::exception_ptr error) {
    std::size_t n = b.size();
    if (opts_.dead_letter) {
      try {
        opts_.dead_letter(std::move(b), std::move(error));
      } catch (...) {
      }
      return;
    }
    if (!dead_reported_.exchange(true)) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      std::fprintf(stderr,
                   "hotpath::batch_processor: a batch of %zu items failed every attempt (%s) and "
                   "has no dead_letter; counted in stats().dead_lettered\n",
                   n, what.c_str());
    }
  }

  void finish(std::size_t p, std::uint64_t seq, std::size_t n, bool dead_lettered) {
    std::unique_lock lock(mu_);
    // close() waits for finishing_ too: launch_ready() drops the lock, and the processor must
    // outlive this call. The notifications happen under the lock for the same reason.
    ++finishing_;
    (dead_lettered ? stats_.dead_lettered : stats_.delivered) += n;
    pending_ -= n;
    lane& l = lanes_[p];
    if (seq == l.done) {
      ++l.done;
      // Close the gap behind it: batches after it that finished first.
      for (auto it = std::find(l.finished_ahead.begin(), l.finished_ahead.end(), l.done);
           it != l.finished_ahead.end();
           it = std::find(l.finished_ahead.begin(), l.finished_ahead.end(), l.done)) {
        *it = l.finished_ahead.back();
        l.finished_ahead.pop_back();
        ++l.done;
      }
    } else {
      l.finished_ahead.push_back(seq);  // at most max_in_flight entries
    }
    l.busy = false;
    --in_flight_;
    dispatch(lock);
    launch_ready(lock);
    --finishing_;
    space_cv_.notify_all();
    done_cv_.notify_all();
  }

  // Timer callbacks reach the processor through this link, which close() cuts: a timer that
  // fires later (or never, if the pool drops it) needs nothing from a closed processor.
  struct timer_link {
    explicit timer_link(batch_processor* s) : self(s) {}
    std::mutex mu;
    batch_processor* self;
  };

  // One timer at a time checks ages; it re-arms itself while items wait.
  void arm_timer(std::unique_lock<std::mutex>&) {
    if (timer_armed_ || closed_) return;
    post_timer(opts_.max_delay);
  }

  void post_timer(std::chrono::nanoseconds d) {
    timer_armed_ = true;
    try {
      post_after_(d, [link = link_] {
        std::lock_guard lock(link->mu);
        if (link->self != nullptr) link->self->on_timer();
      });
    } catch (...) {
      timer_armed_ = false;  // the pool is shut down: flush() and close() still deliver
    }
  }

  void on_timer() {
    std::unique_lock lock(mu_);
    timer_armed_ = false;
    auto now = clock_.now();
    std::optional<std::chrono::nanoseconds> next;
    for (std::size_t p = 0; p < lanes_.size(); ++p) {
      lane& l = lanes_[p];
      if (l.items.empty()) continue;
      auto waited = std::chrono::duration_cast<std::chrono::nanoseconds>(now - l.oldest);
      if (waited >= opts_.max_delay) {
        cut(lock, p, flush_reason::delay);
      } else {
        auto left = opts_.max_delay - waited;
        next = next ? std::min(*next, left) : left;
      }
    }
    launch_ready(lock);
    if (next && !closed_) post_timer(*next);
  }

  sink_type sink_;
  options opts_;
  clock_type clock_;
  std::function<void(std::function<void()>)> post_;
  std::function<void(std::chrono::nanoseconds, std::function<void()>)> post_after_;

  mutable std::mutex mu_;
  std::condition_variable space_cv_;
  std::condition_variable done_cv_;
  std::vector<lane> lanes_;
  std::size_t next_lane_ = 0;
  std::size_t pending_ = 0;  // accepted, not yet delivered or dead-lettered
  std::size_t in_flight_ = 0;
  std::size_t finishing_ = 0;
  std::vector<std::shared_ptr<delivery>> to_launch_;
  bool timer_armed_ = false;
  bool closed_ = false;
  batch_stats stats_;
  metrics::histogram sink_time_;
  std::atomic<bool> dead_reported_{false};
  std::shared_ptr<timer_link> link_ = std::make_shared<timer_link>(this);
  metrics::collector_handle metrics_handle_;
};

}  // namespace hotpath::inline HOTPATH_ABI
