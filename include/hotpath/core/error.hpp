// hotpath/core/error.hpp: the exception every hotpath component throws for programming errors.
//
// Programming errors (an invalid option, an unknown metric name, a closed component) throw
// `hotpath::error` with a message that names the component and the offending value. Expected
// outcomes on hot paths (a miss, a full queue) are return values, never exceptions.
//
//   try { reg.get_counter("nope"); } catch (const hotpath::error& e) { log(e.what()); }
#pragma once

#include <charconv>
#include <concepts>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI {

/// Base of every exception hotpath throws; `what()` names the component and the value.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A task or load that was dropped because its stop token was triggered or its owner shut down.
class cancelled : public error {
 public:
  cancelled() : error("hotpath: cancelled") {}
  using error::error;
};

/// A task that had not started when its deadline passed, so it never ran.
class deadline_exceeded : public error {
 public:
  deadline_exceeded() : error("hotpath: deadline exceeded before the task started") {}
  using error::error;
};

namespace detail {

inline void append_piece(std::string& out, std::string_view s) {
  out.append(s);
}
inline void append_piece(std::string& out, const char* s) {
  out.append(s);
}
inline void append_piece(std::string& out, const std::string& s) {
  out.append(s);
}
inline void append_piece(std::string& out, char c) {
  out.push_back(c);
}

template <class T>
  requires(std::is_arithmetic_v<T> && !std::same_as<T, char> && !std::same_as<T, bool>)
void append_piece(std::string& out, T value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

inline void append_piece(std::string& out, bool b) {
  out.append(b ? "true" : "false");
}

/// Builds a message from strings and numbers without pulling <sstream> into every header.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (append_piece(out, parts), ...);
  return out;
}

/// Throws are kept out of line so the hot path that checks stays small.
template <class Error = error, class... Parts>
[[noreturn]] HOTPATH_COLD void throw_error(const Parts&... parts) {
  throw Error(concat(parts...));
}

}  // namespace detail
}  // namespace hotpath::inline HOTPATH_ABI
