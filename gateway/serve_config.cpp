#include "gateway/serve_config.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "store/gateway_state.h"

namespace fsgate::gateway {
namespace {

// A century: far from overflowing once turned into nanoseconds.
constexpr int64_t kMaxDurationSeconds = int64_t{36500} * 86400;

using Setter = std::function<void(const rapidjson::Value&, ServeConfig&)>;

Setter String(std::string ServeConfig::*field, const char* key) {
  return [field, key](const rapidjson::Value& v, ServeConfig& c) {
    if (!v.IsString())
      throw std::runtime_error(std::string("config: \"") + key + "\" must be a string");
    c.*field = v.GetString();
  };
}

Setter Given(std::string ServeConfig::Given::*field, const char* key) {
  return [field, key](const rapidjson::Value& v, ServeConfig& c) {
    if (!v.IsString())
      throw std::runtime_error(std::string("config: \"") + key + "\" must be a string");
    c.given.*field = v.GetString();
  };
}

Setter Integer(int64_t ServeConfig::*field, const char* key) {
  return [field, key](const rapidjson::Value& v, ServeConfig& c) {
    if (!v.IsInt64())
      throw std::runtime_error(std::string("config: \"") + key + "\" must be an integer");
    c.*field = v.GetInt64();
  };
}

const std::map<std::string, Setter>& Keys() {
  static const std::map<std::string, Setter> keys = {
      {"root", String(&ServeConfig::root, "root")},
      {"listen", String(&ServeConfig::listen, "listen")},
      {"metrics_listen", String(&ServeConfig::metrics_listen, "metrics_listen")},
      {"dirops", Given(&ServeConfig::Given::dirops, "dirops")},
      {"fsync", Given(&ServeConfig::Given::fsync, "fsync")},
      {"backend", Given(&ServeConfig::Given::backend, "backend")},
      {"credentials", String(&ServeConfig::credentials, "credentials")},
      {"tls_cert", String(&ServeConfig::tls_cert, "tls_cert")},
      {"tls_key", String(&ServeConfig::tls_key, "tls_key")},
      {"domain", String(&ServeConfig::domain, "domain")},
      {"region", String(&ServeConfig::region, "region")},
      {"log_level", Given(&ServeConfig::Given::log_level, "log_level")},
      {"log_format", Given(&ServeConfig::Given::log_format, "log_format")},
      {"key_conflicts", Given(&ServeConfig::Given::key_conflicts, "key_conflicts")},
      {"max_connections", Integer(&ServeConfig::max_connections, "max_connections")},
      {"max_connections_per_client",
       Integer(&ServeConfig::max_connections_per_client, "max_connections_per_client")},
      {"idle_timeout_seconds", Integer(&ServeConfig::idle_timeout_seconds, "idle_timeout_seconds")},
      {"read_timeout_seconds", Integer(&ServeConfig::read_timeout_seconds, "read_timeout_seconds")},
      {"list_cache_mib", Integer(&ServeConfig::list_cache_mib, "list_cache_mib")},
      {"multipart_expiry_seconds",
       Integer(&ServeConfig::multipart_expiry_seconds, "multipart_expiry_seconds")},
      {"gateway_id", String(&ServeConfig::gateway_id, "gateway_id")},
      {"ceph_conf", String(&ServeConfig::ceph_conf, "ceph_conf")},
      {"ceph_id", String(&ServeConfig::ceph_id, "ceph_id")},
      {"ceph_fs", String(&ServeConfig::ceph_fs, "ceph_fs")},
      {"ceph_root", String(&ServeConfig::ceph_root, "ceph_root")},
  };
  return keys;
}

// The words of each enum's values, in the enum's order.
constexpr std::string_view kDiropsNames[] = {"async", "sync"};
constexpr std::string_view kFsyncNames[] = {"on", "off"};
constexpr std::string_view kBackendNames[] = {"posix", "cephfs"};
constexpr std::string_view kLogLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kLogFormatNames[] = {"text", "json"};
constexpr std::string_view kKeyConflictsNames[] = {"reject", "nest"};

// The value named `text`, or nullopt.
template <class E, size_t N>
std::optional<E> Find(const std::string& text, const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class E, size_t N>
E Parse(const std::string& text, const char* flag, const std::string_view (&names)[N]) {
  if (auto value = Find<E>(text, names)) return *value;
  std::string list;
  for (std::string_view name : names) (list += list.empty() ? "" : "|") += name;
  throw std::runtime_error(std::string(flag) + ": '" + text + "' is not one of " + list);
}

}  // namespace

void LoadConfigFile(const std::string& path, ServeConfig& config) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--config: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  if (doc.HasParseError()) {
    throw std::runtime_error("--config: " + path + ": " +
                             rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                             std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) throw std::runtime_error("--config: " + path + ": not a JSON object");
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    auto key = Keys().find(it->name.GetString());
    if (key == Keys().end()) {
      throw std::runtime_error("--config: " + path + ": unknown key \"" +
                               std::string(it->name.GetString()) + "\"");
    }
    key->second(it->value, config);
  }
}

int64_t ParseDurationSeconds(const std::string& text, const char* flag) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view suffix(ptr, text.data() + text.size() - ptr);
  int64_t unit = 0;
  if (suffix.empty() || suffix == "s") unit = 1;
  if (suffix == "m") unit = 60;
  if (suffix == "h") unit = 3600;
  if (suffix == "d") unit = 86400;
  if (ec != std::errc() || ptr == text.data() || unit == 0 || value < 0 ||
      value > kMaxDurationSeconds / unit) {
    throw std::runtime_error(std::string(flag) + ": '" + text +
                             "' is not a duration (whole seconds, or a number with s, m, h or d)");
  }
  return value * unit;
}

void SplitHostPort(const std::string& text, const char* flag, std::string& host, uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::runtime_error(std::string(flag) + ": expected HOST:PORT, got '" + text + "'");
  }
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  std::string_view p(text.data() + colon + 1, text.size() - colon - 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    throw std::runtime_error(std::string(flag) + ": invalid port in '" + text + "'");
  }
  port = static_cast<uint16_t>(value);
}

std::string_view ConfigName(Dirops value) { return kDiropsNames[static_cast<size_t>(value)]; }
std::string_view ConfigName(Fsync value) { return kFsyncNames[static_cast<size_t>(value)]; }
std::string_view ConfigName(BackendKind value) { return kBackendNames[static_cast<size_t>(value)]; }
std::string_view ConfigName(LogLevel value) { return kLogLevelNames[static_cast<size_t>(value)]; }
std::string_view ConfigName(LogFormat value) { return kLogFormatNames[static_cast<size_t>(value)]; }
std::string_view ConfigName(KeyConflicts value) {
  return kKeyConflictsNames[static_cast<size_t>(value)];
}

void ValidateConfig(ServeConfig& c) {
  const ServeConfig::Given& given = c.given;
  if (Find<BackendKind>(given.backend, kBackendNames) == BackendKind::kPosix && c.root.empty()) {
    throw std::runtime_error("--root is required");
  }
  c.dirops = Parse<Dirops>(given.dirops, "--dirops", kDiropsNames);
  c.fsync = Parse<Fsync>(given.fsync, "--fsync", kFsyncNames);
  c.backend = Parse<BackendKind>(given.backend, "--backend", kBackendNames);
  c.log_level = Parse<LogLevel>(given.log_level, "--log-level", kLogLevelNames);
  c.log_format = Parse<LogFormat>(given.log_format, "--log-format", kLogFormatNames);
  c.key_conflicts = Parse<KeyConflicts>(given.key_conflicts, "--key-conflicts", kKeyConflictsNames);
  if (c.backend == BackendKind::kCephfs && c.ceph_conf.empty()) {
    throw std::runtime_error("--backend cephfs needs --ceph-conf FILE");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    throw std::runtime_error("--tls-cert and --tls-key must be given together");
  }
  if (c.region.empty()) throw std::runtime_error("--region must not be empty");
  if (!c.gateway_id.empty() && !store::IsValidGatewayId(c.gateway_id)) {
    throw std::runtime_error("--gateway-id: '" + c.gateway_id +
                             "' is not a gateway id ([a-z0-9][a-z0-9_-]{0,62})");
  }
  if (c.max_connections < 1) throw std::runtime_error("--max-connections must be at least 1");
  if (c.max_connections_per_client < 1) {
    throw std::runtime_error("--max-connections-per-client must be at least 1");
  }
  if (c.idle_timeout_seconds < 1 || c.read_timeout_seconds < 1) {
    throw std::runtime_error("timeouts must be at least 1 second");
  }
  if (c.list_cache_mib < 0 || c.list_cache_mib > (int64_t{1} << 20)) {
    throw std::runtime_error("--list-cache-mib must be between 0 and 1048576");
  }
  if (c.multipart_expiry_seconds < 0 || c.multipart_expiry_seconds > kMaxDurationSeconds) {
    throw std::runtime_error("multipart expiry must be between 0 (never) and 36500 days");
  }
  std::string host;
  uint16_t port = 0;
  SplitHostPort(c.listen, "--listen", host, port);
  SplitHostPort(c.metrics_listen, "--metrics-listen", host, port);
  if (c.listen == c.metrics_listen) {
    throw std::runtime_error("--listen and --metrics-listen must differ");
  }
}

}  // namespace fsgate::gateway
