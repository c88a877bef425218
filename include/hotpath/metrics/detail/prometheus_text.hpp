// hotpath/metrics/detail/prometheus_text.hpp: names, escaping and numbers of the Prometheus text
// exposition format (version 0.0.4).
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "hotpath/config.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics::detail {

inline bool is_alpha_(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// [a-zA-Z_:][a-zA-Z0-9_:]*
inline bool valid_metric_name(std::string_view s) noexcept {
  if (s.empty() || !(is_alpha_(s[0]) || s[0] == ':')) return false;
  for (char c : s) {
    if (!(is_alpha_(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
inline bool valid_label_name(std::string_view s) noexcept {
  if (s.empty() || !is_alpha_(s[0]) || s.starts_with("__")) return false;
  for (char c : s) {
    if (!(is_alpha_(c) || is_digit(c))) return false;
  }
  return true;
}

/// HELP text: backslash and line feed escaped.
inline void append_help(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

/// Label value: backslash, double quote and line feed escaped.
inline void append_label_value(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

/// Shortest text that reads back as the same double; +Inf, -Inf and NaN as Prometheus spells them.
inline void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

}  // namespace hotpath::inline HOTPATH_ABI::metrics::detail
