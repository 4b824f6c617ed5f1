// fsgate: the command line. `fsgate serve …` runs the gateway.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "build_config.h"
#include "gateway/serve.h"
#include "gateway/serve_config.h"

namespace {

// Exit code for errors in flags or config (DESIGN: one clear line, exit 2).
constexpr int kUsageError = 2;

// --config is read before the other flags so that flags override the file.
std::string FindConfigFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using fsgate::gateway::ServeConfig;
  ServeConfig config;
  try {
    if (std::string path = FindConfigFlag(argc, argv); !path.empty()) {
      fsgate::gateway::LoadConfigFile(path, config);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fsgate: %s\n", e.what());
    return kUsageError;
  }

  CLI::App app{"fsgate: an S3 gateway whose namespace is a filesystem"};
  app.set_version_flag("--version",
                       std::string("fsgate ") + FSGATE_VERSION + " (" + FSGATE_COMMIT + ")");
  app.require_subcommand(1);
  auto* serve = app.add_subcommand("serve", "Serve S3 over a directory or a CephFS");
  std::string config_path;
  serve->add_option("--config", config_path, "JSON config file (flags override it)");
  serve->add_option("--root", config.root, "Directory served (posix backend)");
  serve->add_option("--listen", config.listen, "S3 address HOST:PORT");
  serve->add_option("--metrics-listen", config.metrics_listen, "Metrics address HOST:PORT");
  serve->add_option("--dirops", config.given.dirops, "async|sync namespace operations");
  serve->add_option("--fsync", config.given.fsync, "on|off: durable before answering");
  serve->add_option("--backend", config.given.backend, "posix|cephfs");
  serve->add_option("--credentials", config.credentials, "JSON users file");
  serve->add_option("--tls-cert", config.tls_cert, "TLS certificate chain (PEM)");
  serve->add_option("--tls-key", config.tls_key, "TLS private key (PEM)");
  serve->add_option("--domain", config.domain, "Domain for virtual-hosted-style buckets");
  serve->add_option("--region", config.region, "Region of this endpoint (default us-east-1)");
  serve->add_option("--log-level", config.given.log_level, "trace|debug|info|warn|error|off");
  serve->add_option("--log-format", config.given.log_format, "text|json access log");
  serve->add_option("--key-conflicts", config.given.key_conflicts,
                    "reject|nest: an object 'a' beside 'a/b' is refused, or kept inside the "
                    "directory 'a' (reject)");
  serve->add_option("--max-connections", config.max_connections,
                    "Open connections at most; a new one past it closes the longest idle");
  serve->add_option("--max-connections-per-client", config.max_connections_per_client,
                    "Open connections from one client address at most; a new one past it closes "
                    "that client's longest idle");
  serve->add_option("--idle-timeout", config.idle_timeout_seconds, "Keep-alive idle seconds");
  serve->add_option("--read-timeout", config.read_timeout_seconds,
                    "Seconds for a header section, or without a body byte");
  serve->add_option("--list-cache-mib", config.list_cache_mib,
                    "MiB of directory listings kept between pages; 0 keeps none (128)");
  std::string multipart_expiry;
  serve->add_option("--multipart-expiry", multipart_expiry,
                    "Abort uploads older than this: seconds, or with s/m/h/d; 0 never (7d)");
  serve->add_option("--gateway-id", config.gateway_id,
                    "This gateway's state under ROOT/.fsgate/gw/ID (default: stored there)");
  serve->add_option("--ceph-conf", config.ceph_conf, "ceph.conf (cephfs backend)");
  serve->add_option("--ceph-id", config.ceph_id, "cephx client id (cephfs backend)");
  serve->add_option("--ceph-fs", config.ceph_fs, "file system name (cephfs backend)");
  serve->add_option("--ceph-root", config.ceph_root, "directory inside the CephFS");
  serve->add_option("--test-apply-delay-ms", config.test_apply_delay_ms)->group("");
  serve->add_option("--test-swap-inode-every", config.test_swap_inode_every)->group("");
  serve->add_option("--test-fault", config.test_faults)->group("");
  serve->add_option("--test-max-object-size", config.test_max_object_size)->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "fsgate: %s\n", e.what());
    return kUsageError;
  }
  try {
    if (!multipart_expiry.empty()) {
      config.multipart_expiry_seconds =
          fsgate::gateway::ParseDurationSeconds(multipart_expiry, "--multipart-expiry");
    }
    fsgate::gateway::ValidateConfig(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fsgate: %s\n", e.what());
    return kUsageError;
  }
  const int rc = fsgate::gateway::RunServe(config);
  // Writes out what the loggers still hold (the access log wrote its own lines
  // before RunServe returned).
  spdlog::shutdown();
  return rc;
}
