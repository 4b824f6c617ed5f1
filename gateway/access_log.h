// AccessLog: one line per request (time, request id, remote address, access
// key, api, bucket, key, status, bytes in/out, duration), as text or JSON, on
// stdout. A thread of its own ("fsg-access-log") writes the lines, in order;
// spdlog::shutdown() before exit writes out what is still queued. Fields the
// client controls are escaped (base/log_text.h): one request, one line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/serve_config.h"

namespace spdlog {
class logger;
}

namespace fsgate::gateway {

struct AccessRecord {
  std::string_view request_id;
  std::string_view remote;
  std::string_view access_key;
  std::string_view api;
  std::string_view bucket;
  std::string_view key;
  int status = 0;
  std::string_view error_code;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  double seconds = 0;
};

class AccessLog {
 public:
  // Lines go to the "access" logger at info level.
  explicit AccessLog(LogFormat format);
  void Write(const AccessRecord& record);

 private:
  bool json_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace fsgate::gateway
