#include "gateway/serve.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <memory>

#include "auth/credentials.h"
#include "build_config.h"
#include "gateway/access_log.h"
#include "gateway/backend_factory.h"
#include "gateway/open_file_limit.h"
#include "gateway/s3_service.h"
#include "http/http_server.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "store/object_store.h"

namespace fsgate::gateway {
namespace {

std::string Mask(const std::string& secret) {
  return secret.size() <= 4 ? "****" : secret.substr(0, 4) + "****";
}

void LogConfig(const ServeConfig& c) {
  spdlog::info(
      "fsgate {} ({}) serve: root={} backend={} listen={} metrics-listen={} dirops={} fsync={}",
      FSGATE_VERSION, FSGATE_COMMIT, c.root, ConfigName(c.backend), c.listen, c.metrics_listen,
      ConfigName(c.dirops), ConfigName(c.fsync));
  spdlog::info(
      "config: tls={} domain={} region={} max-connections={} max-connections-per-client={} "
      "idle-timeout={}s read-timeout={}s log-level={} log-format={} credentials-file={} "
      "multipart-expiry={} key-conflicts={} list-cache-mib={}",
      c.tls_cert.empty() ? "off" : "on", c.domain.empty() ? "-" : c.domain, c.region,
      c.max_connections, c.max_connections_per_client, c.idle_timeout_seconds,
      c.read_timeout_seconds, ConfigName(c.log_level), ConfigName(c.log_format),
      c.credentials.empty() ? "-" : c.credentials,
      c.multipart_expiry_seconds > 0 ? std::to_string(c.multipart_expiry_seconds) + "s" : "off",
      ConfigName(c.key_conflicts), c.list_cache_mib);
  if (c.fsync == Fsync::kOff) {
    spdlog::warn(
        "--fsync off: answers come from the page cache; a power cut or kernel crash can "
        "lose answered writes. Use it for scratch data only.");
  }
  if (c.test_apply_delay_ms > 0 || c.test_swap_inode_every > 0 || !c.test_faults.empty()) {
    spdlog::warn("test hooks on: apply delay {} ms, inode swap every {} creates, {} fault rules",
                 c.test_apply_delay_ms, c.test_swap_inode_every, c.test_faults.size());
  }
  if (c.test_max_object_size > 0) {
    spdlog::warn("test hook on: objects and parts limited to {} bytes", c.test_max_object_size);
  }
}

auth::CredentialStore LoadUsers(const ServeConfig& c) {
  auth::CredentialStore users;
  users.AddFromEnvironment();
  if (!c.credentials.empty()) users.AddFromFile(c.credentials);
  if (users.empty()) {
    auto generated = auth::Credentials::Generate();
    // Printed once so that a first start is usable; set FSGATE_ACCESS_KEY /
    // FSGATE_SECRET_KEY or --credentials to keep keys across restarts.
    std::printf(
        "fsgate: no credentials configured; generated for this run:\n"
        "  access key: %s\n  secret key: %s\n",
        generated.access_key.c_str(), generated.secret_key.c_str());
    std::fflush(stdout);
    users.Add(std::move(generated));
  }
  for (const char* name : {"FSGATE_ACCESS_KEY", "FSGATE_SECRET_KEY"}) {
    if (const char* v = std::getenv(name)) spdlog::info("{}={}", name, Mask(v));
  }
  spdlog::info("{} user(s) configured", users.size());
  return users;
}

}  // namespace

int RunServe(const ServeConfig& given) {
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
      spdlog::level::warn,  spdlog::level::err,   spdlog::level::off};
  spdlog::set_level(kLevels[static_cast<size_t>(given.log_level)]);
  ServeConfig config = given;
  config.max_connections = FitConnectionsToOpenFileLimit(config.max_connections);
  LogConfig(config);

  // Every thread started from here on inherits the blocked mask, so the
  // signals are only ever taken by sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auth::CredentialStore users;
  try {
    users = LoadUsers(config);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }

  metrics::Metrics metrics;
  std::atomic<bool> ready{false};
  std::atomic<bool> unhealthy_logged{false};
  std::unique_ptr<store::ObjectStore> store;

  metrics::MetricsServerOptions metrics_options;
  SplitHostPort(config.metrics_listen, "--metrics-listen", metrics_options.host,
                metrics_options.port);
  metrics_options.version = FSGATE_VERSION;
  metrics_options.commit = FSGATE_COMMIT;
  metrics_options.ready = [&ready, &store, &unhealthy_logged] {
    if (!ready) return false;
    Status health = store->WriteHealth();
    if (!health.ok() && !unhealthy_logged.exchange(true)) {
      spdlog::critical("not ready: writes cannot be answered until a restart: {}",
                       health.message());
    }
    return health.ok();
  };
  metrics_options.admin_async_json = [&store, &ready]() -> std::string {
    return ready ? store->AsyncStatusJson() : "{\"ready\":false}";
  };
  metrics::MetricsServer metrics_server(metrics, metrics_options);
  try {
    metrics_server.Start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }

  auto backend = MakeBackend(config);
  if (!backend.ok()) {
    spdlog::critical("cannot open the {} backend: {}", ConfigName(config.backend),
                     backend.status().message());
    return 2;  // a root or cluster that cannot be opened is a configuration error
  }
  store::StoreOptions store_options;
  store_options.async_dirops = config.dirops == Dirops::kAsync;
  store_options.fsync = config.fsync == Fsync::kOn;
  store_options.default_bucket_owner = users.main_user();
  store_options.multipart_expiry = std::chrono::seconds(config.multipart_expiry_seconds);
  store_options.gateway_id = config.gateway_id;
  store_options.nest_key_conflicts = config.key_conflicts == KeyConflicts::kNest;
  store_options.list_cache_bytes = static_cast<size_t>(config.list_cache_mib) << 20;
  auto opened = store::ObjectStore::Open(std::move(*backend), store_options, metrics);
  if (!opened.ok()) {
    spdlog::critical("cannot open the store: {}", opened.status().message());
    return 1;
  }
  store = std::move(*opened);

  AccessLog access_log(config.log_format);
  S3ServiceOptions service_options{config.domain, config.region};
  service_options.tls = !config.tls_cert.empty();
  if (config.test_max_object_size > 0) {
    service_options.max_object_size = static_cast<uint64_t>(config.test_max_object_size);
  }
  S3Service service(*store, users, metrics, access_log, std::move(service_options));
  http::HttpServerOptions http_options;
  SplitHostPort(config.listen, "--listen", http_options.host, http_options.port);
  http_options.max_connections = static_cast<size_t>(config.max_connections);
  http_options.max_connections_per_client = static_cast<size_t>(config.max_connections_per_client);
  http_options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  http_options.read_timeout = std::chrono::seconds(config.read_timeout_seconds);
  http_options.tls_cert_file = config.tls_cert;
  http_options.tls_key_file = config.tls_key;
  http_options.protocol_error = [&service](int status, std::string_view remote,
                                           http::ResponseWriter& response) {
    service.ProtocolError(status, remote, response);
  };
  http::HttpServer server(
      http_options,
      [&service](http::HttpRequest& request, http::BodyReader& body,
                 http::ResponseWriter& response) { service.Handle(request, body, response); });
  try {
    server.Start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  ready = true;
  spdlog::info("serving S3 on {}://{}:{} (metrics on http://{}:{}/metrics)",
               config.tls_cert.empty() ? "http" : "https", http_options.host, server.port(),
               metrics_options.host, metrics_server.port());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: draining", signal_number);
  ready = false;
  server.Stop();
  if (Status s = store->Drain(); !s.ok()) {
    spdlog::error("drain: {}", s.message());
    return 1;
  }
  spdlog::info("drained; exiting");
  return 0;
}

}  // namespace fsgate::gateway
