// examples/metrics_http.cpp: serves a hotpath metrics registry at /metrics for Prometheus.
//
//   metrics_http                      serve on 127.0.0.1:9464 until killed
//   metrics_http --port 0             pick a free port (printed on the first line)
//   metrics_http --max-requests 3     exit after three requests (used by the tests)
//   metrics_http --print              record some sample data and print the exposition
//
// Every request counts itself before the page is rendered, so the n-th scrape of /metrics shows
// hotpath_example_http_requests_total{path="/metrics",code="200"} n.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "hotpath/metrics.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace metrics = hotpath::metrics;

struct server_metrics {
  metrics::registry reg;
  metrics::family<metrics::counter>& requests = reg.add_counter(
      "hotpath_example_http_requests_total", "HTTP requests served.", {"path", "code"});
  metrics::histogram& latency =
      reg.add_histogram("hotpath_example_http_request_duration_seconds",
                        "Time to build and send a response.", {},
                        {.scale = 1e-9, .buckets = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1}})
          .with();
  metrics::gauge& connections =
      reg.add_gauge("hotpath_example_http_open_connections", "Connections being served.").with();
};

// Fills the registry with a spread of samples so --print shows every metric type.
void record_samples(server_metrics& m) {
  m.requests.with({"/metrics", "200"}).inc(12);
  m.requests.with({"other", "404"}).inc(3);
  for (std::uint64_t i = 1; i <= 1000; ++i)
    m.latency.record(i * 7'919);  // 7.9 us .. 7.9 ms
  m.connections.set(2);
  auto& sizes = m.reg.add_histogram("hotpath_example_response_size_bytes", "Response body sizes.",
                                    {"path"}, {.buckets = {128, 1024, 8192, 65536}});
  for (std::uint64_t i = 0; i < 100; ++i)
    sizes.with({"/metrics"}).record(512 + i * 64);
}

// Serves one connection until the client closes it or the request budget is spent.
void serve(asio::ip::tcp::socket& sock, server_metrics& m, std::uint64_t& left) {
  beast::flat_buffer buf;
  while (left != 0) {
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(sock, buf, req, ec);
    if (ec) return;  // closed by the client, or a malformed request
    metrics::scoped_timer timer(m.latency);
    bool found = req.target() == "/metrics";
    m.requests.with({found ? "/metrics" : "other", found ? "200" : "404"}).inc();
    http::response<http::string_body> res{found ? http::status::ok : http::status::not_found,
                                          req.version()};
    res.set(http::field::server, "hotpath-metrics-example");
    res.set(http::field::content_type,
            found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain");
    res.body() = found ? m.reg.render_prometheus() : "not found; try /metrics\n";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(sock, res, ec);
    --left;
    if (ec || !res.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) try {
  unsigned short port = 9464;
  std::uint64_t max_requests = 0;  // 0: unlimited
  bool print = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--print") {
      print = true;
    } else if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned short>(std::stoul(argv[++i]));
    } else if (arg == "--max-requests" && i + 1 < argc) {
      max_requests = std::stoull(argv[++i]);
    } else {
      std::cerr << "usage: metrics_http [--port N] [--max-requests N] | --print\n";
      return 2;
    }
  }

  server_metrics m;
  if (print) {
    record_samples(m);
    std::cout << m.reg.render_prometheus();
    return 0;
  }

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  std::cout << "listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << "/metrics"
            << std::endl;
  std::uint64_t left = max_requests == 0 ? UINT64_MAX : max_requests;
  while (left != 0) {
    asio::ip::tcp::socket sock(io);
    acceptor.accept(sock);
    m.connections.inc();
    serve(sock, m, left);
    m.connections.dec();
    beast::error_code ec;
    sock.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "metrics_http: " << e.what() << "\n";
  return 1;
}
