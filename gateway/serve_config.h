// ServeConfig: everything `fsgate serve` is told, from flags and an optional
// JSON config file (flags win). Errors are one clear line (exit code 2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fsgate::gateway {

// The settings with a fixed set of values, parsed once by ValidateConfig.
enum class Dirops : uint8_t { kAsync, kSync };
enum class Fsync : uint8_t { kOn, kOff };
enum class BackendKind : uint8_t { kPosix, kCephfs };
enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat : uint8_t { kText, kJson };
enum class KeyConflicts : uint8_t { kReject, kNest };

// The word a value is given as ("async", "json"): for the start-up log.
std::string_view ConfigName(Dirops value);
std::string_view ConfigName(Fsync value);
std::string_view ConfigName(BackendKind value);
std::string_view ConfigName(LogLevel value);
std::string_view ConfigName(LogFormat value);
std::string_view ConfigName(KeyConflicts value);

struct ServeConfig {
  std::string root;
  std::string listen = "127.0.0.1:9000";
  std::string metrics_listen = "127.0.0.1:9464";
  Dirops dirops = Dirops::kAsync;
  Fsync fsync = Fsync::kOn;
  BackendKind backend = BackendKind::kPosix;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;  // of the access log
  // An object "a" beside an object "a/b": refused, or "a" nested in the
  // directory (store/nested_key.h).
  KeyConflicts key_conflicts = KeyConflicts::kReject;
  // The six settings above as the flags and the config file give them (flags
  // win). ValidateConfig parses them into the enums; nothing else reads them.
  struct Given {
    std::string dirops = "async";
    std::string fsync = "on";
    std::string backend = "posix";
    std::string log_level = "info";
    std::string log_format = "text";
    std::string key_conflicts = "reject";
  } given;
  std::string credentials;  // JSON users file
  std::string tls_cert;
  std::string tls_key;
  std::string domain;  // virtual-hosted style
  // The region SigV4 credential scopes must name, and GetBucketLocation's
  // answer for a bucket created without a LocationConstraint.
  std::string region = "us-east-1";
  int64_t max_connections = 16384;  // lowered at start to what the open-file limit allows
  int64_t max_connections_per_client = 16384;  // per remote IP address
  int64_t idle_timeout_seconds = 60;
  int64_t read_timeout_seconds = 60;
  // Memory of the directory listings kept between pages (store/dir_listing_cache.h).
  int64_t list_cache_mib = 128;
  // Multipart uploads older than this are aborted in the background; 0 never.
  int64_t multipart_expiry_seconds = 7 * 24 * 3600;
  // Whose engine state (ROOT/.fsgate/gw/<id>/) this process runs on; empty:
  // the id stored under ROOT/.fsgate/, made on the first start.
  std::string gateway_id;
  // CephFS backend.
  std::string ceph_conf;
  std::string ceph_id = "admin";
  std::string ceph_fs;
  std::string ceph_root = "/";
  // Test hooks (hidden flags): slow the applier, swap inodes under names.
  int64_t test_apply_delay_ms = 0;
  int64_t test_swap_inode_every = 0;
  std::vector<std::string> test_faults;  // FaultBackend rule specs, e.g. "fsync:EIO:path=.log"
  int64_t test_max_object_size = 0;      // > 0: replaces the 5 GiB object size limit
};

// Loads a JSON config file over `config`; throws std::runtime_error with a
// one-line reason (unreadable, malformed, unknown key, wrong type).
void LoadConfigFile(const std::string& path, ServeConfig& config);

// Parses `given` into the enums, checks values and their combinations; throws
// std::runtime_error with the line to print (exit code 2).
void ValidateConfig(ServeConfig& config);

// "90", "90s", "15m", "12h", "7d" -> seconds; throws std::runtime_error naming `flag`.
int64_t ParseDurationSeconds(const std::string& text, const char* flag);

// "host:port" -> parts; throws std::runtime_error naming `flag`.
void SplitHostPort(const std::string& text, const char* flag, std::string& host, uint16_t& port);

}  // namespace fsgate::gateway
