// hotpath/exec/detail/task.hpp: the move-only, type-erased unit of work a thread pool queues.
//
// A body is any object with `bool run()` and `void fail(std::exception_ptr) noexcept`: run() does
// the work (and completes a future if it has one) and says whether the work succeeded (false:
// it threw, and the body already delivered the exception); fail() completes it without running
// (the task was cancelled, expired or dropped at shutdown). Bodies up to `inline_size` bytes that
// move without throwing live inside the task; bigger ones are allocated once.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::detail {

template <class B>
concept task_body = std::is_nothrow_destructible_v<B> && requires(B& b, std::exception_ptr e) {
  { b.run() } -> std::same_as<bool>;
  { b.fail(e) }
  noexcept;
};

class task {
 public:
  static constexpr std::size_t inline_size = 48;

  task() noexcept = default;

  template <class B>
    requires(task_body<std::remove_cvref_t<B>> && !std::is_same_v<std::remove_cvref_t<B>, task>)
  explicit task(B&& body) {
    using body_t = std::remove_cvref_t<B>;
    if constexpr (fits_inline<body_t>) {
      ::new (static_cast<void*>(buf_)) body_t(std::forward<B>(body));
      vt_ = &inline_vtable<body_t>;
    } else {
      auto* p = new body_t(std::forward<B>(body));
      ::new (static_cast<void*>(buf_)) body_t*(p);
      vt_ = &heap_vtable<body_t>;
    }
  }

  task(task&& o) noexcept : vt_(o.vt_) {
    if (vt_ != nullptr) {
      relocate_from(o);
      o.vt_ = nullptr;
    }
  }
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      reset();
      vt_ = o.vt_;
      if (vt_ != nullptr) {
        relocate_from(o);
        o.vt_ = nullptr;
      }
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  explicit operator bool() const noexcept { return vt_ != nullptr; }

  /// Runs the body once (true: it did not throw); the task is empty afterwards.
  bool run() {
    const vtable* vt = std::exchange(vt_, nullptr);
    struct destroy_after {
      const vtable* vt;
      unsigned char* buf;
      ~destroy_after() {
        if (vt->destroy != nullptr) vt->destroy(buf);
      }
    } guard{vt, buf_};
    return vt->run(buf_);
  }

  /// Completes the body with `e` instead of running it; the task is empty afterwards.
  void fail(std::exception_ptr e) noexcept {
    const vtable* vt = std::exchange(vt_, nullptr);
    vt->fail(buf_, std::move(e));
    if (vt->destroy != nullptr) vt->destroy(buf_);
  }

 private:
  struct vtable {
    bool (*run)(void*);
    void (*fail)(void*, std::exception_ptr) noexcept;
    // Null for trivially copyable / destructible bodies: a memcpy or nothing instead of an
    // indirect call (most posted lambdas capture a few pointers).
    void (*relocate)(void* dst, void* src) noexcept;  // move-construct into dst, destroy src
    void (*destroy)(void*) noexcept;
  };

  template <class B>
  static constexpr bool fits_inline =
      sizeof(B) <= inline_size &&
      alignof(B) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<B>;

  template <class B>
  static constexpr vtable inline_vtable{
      [](void* p) -> bool { return static_cast<B*>(p)->run(); },
      [](void* p, std::exception_ptr e) noexcept { static_cast<B*>(p)->fail(std::move(e)); },
      std::is_trivially_copyable_v<B> ? nullptr
                                      : +[](void* dst, void* src) noexcept {
                                          ::new (dst) B(std::move(*static_cast<B*>(src)));
                                          static_cast<B*>(src)->~B();
                                        },
      std::is_trivially_destructible_v<B> ? nullptr
                                          : +[](void* p) noexcept { static_cast<B*>(p)->~B(); },
  };

  template <class B>
  static constexpr vtable heap_vtable{
      [](void* p) -> bool { return (*static_cast<B**>(p))->run(); },
      [](void* p, std::exception_ptr e) noexcept { (*static_cast<B**>(p))->fail(std::move(e)); },
      [](void* dst, void* src) noexcept { ::new (dst) B*(*static_cast<B**>(src)); },
      [](void* p) noexcept { delete *static_cast<B**>(p); },
  };

  void relocate_from(task& o) noexcept {
    if (vt_->relocate != nullptr) {
      vt_->relocate(buf_, o.buf_);
    } else {
      std::memcpy(buf_, o.buf_, inline_size);
    }
  }

  void reset() noexcept {
    if (vt_ != nullptr && vt_->destroy != nullptr) {
      // Destroyed unrun: the body's destructor decides what that means (a future's promise
      // completes the future with hotpath::cancelled).
      std::exchange(vt_, nullptr)->destroy(buf_);
    }
    vt_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[inline_size];
  const vtable* vt_ = nullptr;
};

}  // namespace hotpath::inline HOTPATH_ABI::detail
