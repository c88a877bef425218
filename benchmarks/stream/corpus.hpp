// The stream benchmarks' corpus: log-like records with a Zipf-weighted vocabulary, written as
// RFC 4180 CSV (5% of messages quoted, with embedded line breaks, commas and quotes) and as
// JSON Lines (the same records). Seeded, so every run and machine gets the same bytes.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace hotpath_bench {

class zipf_words {
 public:
  zipf_words(std::size_t n, double s, std::uint32_t seed) : rng_(seed) {
    cdf_.resize(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
      sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    double acc = 0;
    for (std::size_t i = 0; i < n; ++i) {
      acc += 1.0 / std::pow(static_cast<double>(i + 1), s) / sum;
      cdf_[i] = acc;
    }
    static constexpr char letters[] = "etaoinshrdlucmfwypvbgkqjxz";
    for (std::size_t i = 0; i < n; ++i) {
      std::string w;
      std::size_t len = 2 + (i * 7919) % 9;
      std::uint64_t x = i * 2654435761u + 17;
      for (std::size_t k = 0; k < len; ++k) {
        w.push_back(letters[x % 26]);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
      }
      words_.push_back(std::move(w));
    }
  }
  const std::string& next() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    std::size_t i =
        it == cdf_.end() ? cdf_.size() - 1 : static_cast<std::size_t>(it - cdf_.begin());
    return words_[i];
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
  std::vector<std::string> words_;
};

struct record {
  std::string ts, level, service, path, message;
  std::uint64_t user = 0, latency_us = 0;
  bool tricky = false;  // message with a line break, a comma and a quote
};

class corpus {
 public:
  explicit corpus(std::uint32_t seed = 2026)
      : vocab_(5000, 1.1, seed), paths_(300, 1.0, seed + 1) {}

  record next() {
    auto& rng = vocab_.rng();
    record r;
    std::uint64_t t = 1700000000000ull + n_ * 37;
    r.ts = std::to_string(t / 1000) + "." + std::to_string(1000 + t % 1000).substr(1);
    static constexpr const char* levels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
    r.level = levels[rng() % 6];
    r.service = "svc-" + vocab_.next();
    r.path = "/api/" + paths_.next() + "/" + paths_.next();
    r.user = rng() % 100000;
    r.latency_us = 100 + rng() % 50000;
    std::size_t words = 3 + rng() % 12;
    for (std::size_t i = 0; i < words; ++i) {
      if (i) r.message.push_back(' ');
      r.message += vocab_.next();
    }
    if (rng() % 20 == 0) {
      r.tricky = true;
      r.message += ",\n  caused by \"" + vocab_.next() + "\"";
    }
    ++n_;
    return r;
  }

  static void csv_header(std::string& out) {
    out += "ts,level,service,path,user,latency_us,message\n";
  }
  static void csv(const record& r, std::string& out) {
    out += r.ts;
    out += ',';
    out += r.level;
    out += ',';
    out += r.service;
    out += ',';
    out += r.path;
    out += ',';
    out += std::to_string(r.user);
    out += ',';
    out += std::to_string(r.latency_us);
    out += ',';
    if (r.tricky) {
      out += '"';
      for (char c : r.message) {
        out += c;
        if (c == '"') out += '"';
      }
      out += '"';
    } else {
      out += r.message;
    }
    out += '\n';
  }
  static void json(const record& r, std::string& out) {
    out += "{\"ts\":";
    out += r.ts;
    out += ",\"level\":\"";
    out += r.level;
    out += "\",\"service\":\"";
    out += r.service;
    out += "\",\"path\":\"";
    out += r.path;
    out += "\",\"user\":";
    out += std::to_string(r.user);
    out += ",\"latency_us\":";
    out += std::to_string(r.latency_us);
    out += ",\"message\":\"";
    for (char c : r.message) {
      if (c == '\n') {
        out += "\\n";
      } else {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
    }
    out += "\"}\n";
  }

 private:
  zipf_words vocab_;
  zipf_words paths_;
  std::uint64_t n_ = 0;
};

}  // namespace hotpath_bench
