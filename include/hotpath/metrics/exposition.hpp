// hotpath/metrics/exposition.hpp: builds a Prometheus text exposition (format 0.0.4).
//
// Samples are grouped by metric family (one HELP and TYPE line each, as the format requires),
// families are written in name order, so the output is deterministic. Components use it from
// the collectors they register with a metrics::registry; it can also be used on its own.
//
//   hotpath::metrics::exposition out;
//   hotpath::metrics::label method{"method", "GET"};
//   out.add_counter("http_requests_total", "Requests served.", {&method, 1}, 42);
//   std::string text = out.str();
//
// Thread safety: none; build one per scrape.
// Bad input: an invalid metric or label name, a family seen twice with different types, or a
// label set that differs in its names from the family's first one throws hotpath::error.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/metrics/detail/prometheus_text.hpp"
#include "hotpath/metrics/histogram.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

/// The three metric types hotpath exposes.
enum class metric_type { counter, gauge, histogram };

/// The TYPE keyword of a metric type.
inline constexpr std::string_view to_string(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

/// One label of a sample.
struct label {
  std::string_view name;
  std::string_view value;
};

/// How a histogram's integer samples become Prometheus buckets.
struct histogram_exposition {
  /// Multiplies raw values: 1e-9 turns nanoseconds into seconds, Prometheus's base unit.
  double scale = 1.0;
  /// Bucket upper bounds in scaled units, ascending; empty means a 1-2.5-5 series that covers
  /// the histogram's whole range. +Inf is always added.
  std::vector<double> buckets{};
};

namespace detail {

/// 1, 2.5, 5 times each power of ten from scale*1 to scale*max_trackable, parsed from text so that
/// the bounds print as written ("2.5e-06", not "2.5000000000000004e-06").
inline std::vector<double> default_buckets(double scale) {
  std::vector<double> out;
  double lo = scale;
  double hi = scale * static_cast<double>(histogram_snapshot::max_trackable);
  int first = static_cast<int>(std::floor(std::log10(lo)));
  int last = static_cast<int>(std::ceil(std::log10(hi)));
  for (int e = first; e <= last; ++e) {
    for (std::string_view m : {"1", "2.5", "5"}) {
      std::string text = hotpath::detail::concat(m, "e", e);
      double v = 0;
      std::from_chars(text.data(), text.data() + text.size(), v);
      if (v >= lo && v <= hi) out.push_back(v);
    }
  }
  return out;
}

/// Converts between raw and exposed units. Divides by 1/scale when that is an integer (1e9 for
/// nanoseconds to seconds), because 1e-9 has no exact double and multiplying by it turns
/// 90011500000 ns into 90.01150000000001 s.
class unit_scale {
 public:
  explicit unit_scale(double scale) : scale_(scale) {
    if (!(scale > 0.0) || std::isinf(scale)) {
      hotpath::detail::throw_error("hotpath::metrics::exposition: histogram scale ", scale,
                                   " must be positive and finite");
    }
    double inv = 1.0 / scale;
    double rounded = std::round(inv);
    if (scale < 1.0 && std::abs(inv - rounded) <= 1e-9 * rounded) inv_ = rounded;
  }
  double from_raw(double raw) const noexcept { return inv_ > 0 ? raw / inv_ : raw * scale_; }
  double to_raw(double exposed) const noexcept {
    return inv_ > 0 ? exposed * inv_ : exposed / scale_;
  }

 private:
  double scale_;
  double inv_ = 0;
};

}  // namespace detail

/// A Prometheus text exposition under construction.
class exposition {
 public:
  /// One counter sample.
  void add_counter(std::string_view name, std::string_view help, std::span<const label> labels,
                   std::uint64_t value) {
    std::string& body = family_for(name, help, metric_type::counter, labels);
    sample_line(body, name, "", labels, nullptr);
    detail::append_uint(body, value);
    body += '\n';
  }

  /// One gauge sample.
  void add_gauge(std::string_view name, std::string_view help, std::span<const label> labels,
                 double value) {
    std::string& body = family_for(name, help, metric_type::gauge, labels);
    sample_line(body, name, "", labels, nullptr);
    detail::append_double(body, value);
    body += '\n';
  }

  /// One histogram series: cumulative _bucket lines, _sum and _count.
  void add_histogram(std::string_view name, std::string_view help, std::span<const label> labels,
                     const histogram_snapshot& snap, const histogram_exposition& how = {}) {
    std::string& body = family_for(name, help, metric_type::histogram, labels);
    for (const label& l : labels) {
      if (l.name == "le") {
        hotpath::detail::throw_error("hotpath::metrics::exposition: histogram '", name,
                                     "' may not have a label named 'le'");
      }
    }
    const detail::unit_scale unit(how.scale);
    const std::vector<double> defaults =
        how.buckets.empty() ? detail::default_buckets(how.scale) : std::vector<double>{};
    const std::vector<double>& bounds = how.buckets.empty() ? defaults : how.buckets;
    double prev = -INFINITY;
    std::string le;
    // One walk over the fine buckets for all bounds; same rule as count_at_or_below().
    std::span<const std::uint64_t> fine = snap.buckets();
    std::size_t next = 0;
    std::uint64_t cumulative = 0;
    for (double bound : bounds) {
      if (!(bound > prev)) {
        hotpath::detail::throw_error("hotpath::metrics::exposition: buckets of '", name,
                                     "' are not strictly ascending at ", bound);
      }
      prev = bound;
      double raw = unit.to_raw(bound);
      while (next < fine.size() &&
             static_cast<double>(histogram_snapshot::bucket_value(next)) <= raw) {
        cumulative += fine[next++];
      }
      le.clear();
      detail::append_double(le, bound);
      sample_line(body, name, "_bucket", labels, &le);
      detail::append_uint(body, cumulative);
      body += '\n';
    }
    le = "+Inf";
    sample_line(body, name, "_bucket", labels, &le);
    detail::append_uint(body, snap.count());
    body += '\n';
    sample_line(body, name, "_sum", labels, nullptr);
    detail::append_double(body, unit.from_raw(static_cast<double>(snap.sum())));
    body += '\n';
    sample_line(body, name, "_count", labels, nullptr);
    detail::append_uint(body, snap.count());
    body += '\n';
  }

  /// The exposition text, families in name order.
  [[nodiscard]] std::string str() const {
    std::string out;
    for (const auto& [name, fam] : families_) {
      out += "# HELP ";
      out += name;
      out += ' ';
      detail::append_help(out, fam.help);
      out += "\n# TYPE ";
      out += name;
      out += ' ';
      out += to_string(fam.type);
      out += '\n';
      out += fam.body;
    }
    return out;
  }

 private:
  struct family {
    metric_type type;
    std::string help;
    std::vector<std::string> label_names;
    std::string body;
  };

  std::string& family_for(std::string_view name, std::string_view help, metric_type type,
                          std::span<const label> labels) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      if (!detail::valid_metric_name(name)) {
        hotpath::detail::throw_error("hotpath::metrics::exposition: invalid metric name '", name,
                                     "'");
      }
      std::vector<std::string> names;
      for (const label& l : labels) {
        if (!detail::valid_label_name(l.name)) {
          hotpath::detail::throw_error("hotpath::metrics::exposition: invalid label name '", l.name,
                                       "' on '", name, "'");
        }
        names.emplace_back(l.name);
      }
      it = families_
               .emplace(std::string(name), family{type, std::string(help), std::move(names), {}})
               .first;
      return it->second.body;
    }
    family& f = it->second;
    if (f.type != type) {
      hotpath::detail::throw_error("hotpath::metrics::exposition: '", name, "' is a ",
                                   to_string(f.type), ", not a ", to_string(type));
    }
    bool same = f.label_names.size() == labels.size();
    for (std::size_t i = 0; same && i < labels.size(); ++i) {
      same = f.label_names[i] == labels[i].name;
    }
    if (!same) {
      hotpath::detail::throw_error("hotpath::metrics::exposition: samples of '", name,
                                   "' disagree on their label names");
    }
    return f.body;
  }

  // name+suffix{labels...,le="..."} followed by a space; the caller appends the value.
  static void sample_line(std::string& out, std::string_view name, std::string_view suffix,
                          std::span<const label> labels, const std::string* le) {
    out += name;
    out += suffix;
    if (!labels.empty() || le != nullptr) {
      out += '{';
      bool first = true;
      for (const label& l : labels) {
        if (!first) out += ',';
        first = false;
        out += l.name;
        out += "=\"";
        detail::append_label_value(out, l.value);
        out += '"';
      }
      if (le != nullptr) {
        if (!first) out += ',';
        out += "le=\"";
        out += *le;
        out += '"';
      }
      out += '}';
    }
    out += ' ';
  }

  std::map<std::string, family, std::less<>> families_;
};

}  // namespace hotpath::inline HOTPATH_ABI::metrics
