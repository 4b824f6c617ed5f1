// AccessLog: one line per request (time, request id, remote address, access
// key, api, bucket, key, status, bytes in/out, duration), as text or JSON, on
// stdout. A thread of its own ("fsg-access-log") writes the lines, in order,
// in batches; the destructor writes out what is still pending. Fields the
// client controls are escaped (base/log_text.h): one request, one line.
// Written only when the log level lets info lines through (--log-level).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "gateway/serve_config.h"

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
  explicit AccessLog(LogFormat format);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void Write(const AccessRecord& record);

 private:
  void AppendText(const AccessRecord& r, std::string& line) const;
  void AppendJson(const AccessRecord& r, std::string& line) const;
  void WriterLoop();

  const bool json_;
  std::mutex mu_;
  std::condition_variable wake_;  // the writer: lines pending, or stopping
  std::condition_variable room_;  // requests waiting for the pending lines to shrink
  std::string pending_;           // whole lines not yet written
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace fsgate::gateway
