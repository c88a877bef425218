// hotpath/metrics/registry.hpp: named, labelled metrics and their Prometheus exposition.
//
// A registry owns metric families (a name, a help text, label names) whose children are
// counters, gauges or histograms, one per label-value tuple. Look a child up once and keep the
// reference: lookups take a lock, recording does not. Components that keep their own statistics
// register a collector instead, which writes their stats into the exposition at scrape time.
//
//   hotpath::metrics::registry reg;
//   auto& requests = reg.add_counter("http_requests_total", "Requests served.", {"method"});
//   auto& gets = requests.with({"GET"});
//   gets.inc();
//   auto& latency = reg.add_histogram("http_request_duration_seconds", "Latency.", {},
//                                     {.scale = 1e-9}).with();
//   latency.record(1'200'000);                    // nanoseconds in, seconds out
//   std::string page = reg.render_prometheus();
//
// Thread safety: every member may be called from any thread. References to families and
// children stay valid until the registry is destroyed (or the child is removed).
// Bad input, each a hotpath::error naming the metric: an invalid metric or label name, a counter
// name without the `_total` suffix, a name registered again with another type or other labels,
// an unknown name in get_*(), a label-value tuple of the wrong arity.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "hotpath/config.hpp"
#include "hotpath/core/error.hpp"
#include "hotpath/metrics/counter.hpp"
#include "hotpath/metrics/detail/prometheus_text.hpp"
#include "hotpath/metrics/exposition.hpp"
#include "hotpath/metrics/gauge.hpp"
#include "hotpath/metrics/histogram.hpp"

namespace hotpath::inline HOTPATH_ABI::metrics {

namespace detail {

// Orders label-value tuples; transparent so a lookup needs no std::string copies.
struct tuple_less {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
  }
};

template <class Metric>
inline constexpr metric_type type_of = metric_type::counter;
template <>
inline constexpr metric_type type_of<gauge> = metric_type::gauge;
template <>
inline constexpr metric_type type_of<histogram> = metric_type::histogram;

class family_base {
 public:
  virtual ~family_base() = default;
  virtual void collect(exposition& out) const = 0;
  virtual metric_type type() const noexcept = 0;
  virtual const std::vector<std::string>& label_names() const noexcept = 0;
};

}  // namespace detail

/// The metrics of one name: one child per tuple of label values.
template <class Metric>
class family final : public detail::family_base {
 public:
  family(std::string name, std::string help, std::vector<std::string> label_names,
         histogram_exposition how = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        how_(std::move(how)) {}

  /// The child for these label values, created on first use. Throws hotpath::error when the number
  /// of values differs from the number of label names.
  Metric& with(std::span<const std::string_view> values) {
    check_arity(values.size());
    std::lock_guard lock(mu_);
    auto it = children_.find(values);
    if (it == children_.end()) {
      it = children_
               .emplace(std::vector<std::string>(values.begin(), values.end()),
                        std::make_unique<Metric>())
               .first;
    }
    return *it->second;
  }
  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  /// The only child of a family without labels.
  Metric& with() { return with(std::span<const std::string_view>{}); }

  /// Drops the child for these values; false if there was none. References to it dangle.
  bool remove(std::initializer_list<std::string_view> values) {
    check_arity(values.size());
    std::lock_guard lock(mu_);
    auto it = children_.find(std::span<const std::string_view>(values.begin(), values.size()));
    if (it == children_.end()) return false;
    children_.erase(it);
    return true;
  }

  /// Number of children.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return children_.size();
  }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& help() const noexcept { return help_; }
  [[nodiscard]] const std::vector<std::string>& label_names() const noexcept override {
    return label_names_;
  }
  [[nodiscard]] metric_type type() const noexcept override { return detail::type_of<Metric>; }

  void collect(exposition& out) const override {
    std::vector<label> labels(label_names_.size());
    std::lock_guard lock(mu_);
    for (const auto& [values, metric] : children_) {
      for (std::size_t i = 0; i < labels.size(); ++i)
        labels[i] = {label_names_[i], values[i]};
      if constexpr (std::is_same_v<Metric, counter>) {
        out.add_counter(name_, help_, labels, metric->value());
      } else if constexpr (std::is_same_v<Metric, gauge>) {
        out.add_gauge(name_, help_, labels, metric->value());
      } else {
        out.add_histogram(name_, help_, labels, metric->snapshot(), how_);
      }
    }
  }

 private:
  void check_arity(std::size_t n) const {
    if (n != label_names_.size()) {
      std::string names;
      for (const auto& l : label_names_)
        names += (names.empty() ? "" : ", ") + l;
      hotpath::detail::throw_error("hotpath::metrics::registry: '", name_, "' has ",
                                   label_names_.size(), " label(s) (", names, "), got ", n,
                                   " value(s)");
    }
  }

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  histogram_exposition how_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, detail::tuple_less> children_;
};

class registry;

/// Keeps a collector registered; unregisters it on destruction (waiting for a scrape in progress).
class collector_handle {
 public:
  collector_handle() = default;
  collector_handle(collector_handle&& o) noexcept
      : reg_(std::exchange(o.reg_, nullptr)), id_(o.id_) {}
  collector_handle& operator=(collector_handle&& o) noexcept {
    if (this != &o) {
      reset();
      reg_ = std::exchange(o.reg_, nullptr);
      id_ = o.id_;
    }
    return *this;
  }
  ~collector_handle() { reset(); }
  /// Unregisters now.
  void reset() noexcept;

 private:
  friend class registry;
  collector_handle(registry* r, std::uint64_t id) : reg_(r), id_(id) {}
  registry* reg_ = nullptr;
  std::uint64_t id_ = 0;
};

/// Named metric families and collectors, rendered in the Prometheus text format.
class registry {
 public:
  using collector = std::function<void(exposition&)>;

  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Registers (or returns the identical existing) counter family; the name must end in _total.
  family<counter>& add_counter(std::string name, std::string help,
                               std::vector<std::string> label_names = {}) {
    if (!std::string_view(name).ends_with("_total")) {
      hotpath::detail::throw_error("hotpath::metrics::registry: counter '", name,
                                   "' must end in _total");
    }
    return add<counter>(std::move(name), std::move(help), std::move(label_names), {});
  }
  /// Registers (or returns the identical existing) gauge family.
  family<gauge>& add_gauge(std::string name, std::string help,
                           std::vector<std::string> label_names = {}) {
    return add<gauge>(std::move(name), std::move(help), std::move(label_names), {});
  }
  /// Registers (or returns the identical existing) histogram family; `how` sets the unit scale
  /// and bucket bounds of the exposition.
  family<histogram>& add_histogram(std::string name, std::string help,
                                   std::vector<std::string> label_names = {},
                                   histogram_exposition how = {}) {
    for (const auto& l : label_names) {
      if (l == "le") {
        hotpath::detail::throw_error("hotpath::metrics::registry: histogram '", name,
                                     "' may not have a label named 'le'");
      }
    }
    return add<histogram>(std::move(name), std::move(help), std::move(label_names), std::move(how));
  }

  /// The counter family called `name`; throws hotpath::error if there is none.
  family<counter>& get_counter(std::string_view name) const { return get<counter>(name); }
  /// The gauge family called `name`; throws hotpath::error if there is none.
  family<gauge>& get_gauge(std::string_view name) const { return get<gauge>(name); }
  /// The histogram family called `name`; throws hotpath::error if there is none.
  family<histogram>& get_histogram(std::string_view name) const { return get<histogram>(name); }

  /// Adds a function that writes samples into every render; it runs under the registry's
  /// collector lock and must not add or remove collectors.
  [[nodiscard]] collector_handle add_collector(collector fn) {
    std::lock_guard lock(collectors_mu_);
    std::uint64_t id = ++next_id_;
    collectors_.emplace(id, std::move(fn));
    return collector_handle(this, id);
  }

  /// The whole registry in the Prometheus text exposition format, families in name order.
  [[nodiscard]] std::string render_prometheus() const {
    exposition out;
    {
      std::lock_guard lock(families_mu_);
      for (const auto& [name, fam] : families_)
        fam->collect(out);
    }
    {
      std::lock_guard lock(collectors_mu_);
      for (const auto& [id, fn] : collectors_)
        fn(out);
    }
    return out.str();
  }

 private:
  friend class collector_handle;

  template <class Metric>
  family<Metric>& add(std::string name, std::string help, std::vector<std::string> label_names,
                      histogram_exposition how) {
    if (!detail::valid_metric_name(name)) {
      hotpath::detail::throw_error("hotpath::metrics::registry: invalid metric name '", name, "'");
    }
    for (const auto& l : label_names) {
      if (!detail::valid_label_name(l)) {
        hotpath::detail::throw_error("hotpath::metrics::registry: invalid label name '", l,
                                     "' on '", name, "'");
      }
    }
    std::lock_guard lock(families_mu_);
    auto it = families_.find(name);
    if (it != families_.end()) {
      auto* existing = dynamic_cast<family<Metric>*>(it->second.get());
      if (existing == nullptr || existing->label_names() != label_names) {
        hotpath::detail::throw_error("hotpath::metrics::registry: '", name,
                                     "' is already registered as a ", to_string(it->second->type()),
                                     " with other labels or type");
      }
      return *existing;
    }
    auto fam = std::make_unique<family<Metric>>(name, std::move(help), std::move(label_names),
                                                std::move(how));
    auto& ref = *fam;
    families_.emplace(std::move(name), std::move(fam));
    return ref;
  }

  template <class Metric>
  family<Metric>& get(std::string_view name) const {
    std::lock_guard lock(families_mu_);
    auto it = families_.find(name);
    if (it == families_.end()) {
      hotpath::detail::throw_error("hotpath::metrics::registry: no metric named '", name, "'");
    }
    auto* f = dynamic_cast<family<Metric>*>(it->second.get());
    if (f == nullptr) {
      hotpath::detail::throw_error("hotpath::metrics::registry: '", name, "' is a ",
                                   to_string(it->second->type()), ", not a ",
                                   to_string(detail::type_of<Metric>));
    }
    return *f;
  }

  void remove_collector(std::uint64_t id) noexcept {
    std::lock_guard lock(collectors_mu_);
    collectors_.erase(id);
  }

  mutable std::mutex families_mu_;
  std::map<std::string, std::unique_ptr<detail::family_base>, std::less<>> families_;
  mutable std::mutex collectors_mu_;
  std::map<std::uint64_t, collector> collectors_;
  std::uint64_t next_id_ = 0;
};

inline void collector_handle::reset() noexcept {
  if (reg_ != nullptr) std::exchange(reg_, nullptr)->remove_collector(id_);
}

}  // namespace hotpath::inline HOTPATH_ABI::metrics
