// MetricsServer: the operator's listener (--metrics-listen), separate from the
// S3 port so that a bucket may be called "metrics".
//
//   GET /metrics       Prometheus text format (the Metrics registry + process_* series
//                      + fsgate_build_info)
//   GET /healthz       200 while the process is alive
//   GET /readyz        200 once recovery finished and the journal is writable, else 503
//   GET /admin/async   JSON from the async namespace (pending, oldest age, failed ops)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace fsgate::metrics {

class Metrics;

struct MetricsServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9464;  // 0 picks a free port; see MetricsServer::port()
  std::string version;
  std::string commit;
  std::function<bool()> ready;                    // for /readyz
  std::function<std::string()> admin_async_json;  // for /admin/async
};

class MetricsServer {
 public:
  MetricsServer(Metrics& metrics, MetricsServerOptions options);
  ~MetricsServer();  // stops the listener and joins its thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts serving on a thread of its own. Throws std::runtime_error
  // with a clear message when the address cannot be bound.
  void Start();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsgate::metrics
