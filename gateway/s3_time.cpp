#include "gateway/s3_time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fsgate::gateway {

std::string FormatIso8601(int64_t unix_nanos) {
  time_t seconds = static_cast<time_t>(unix_nanos / 1000000000);
  int millis = static_cast<int>((unix_nanos / 1000000) % 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string FormatHttpDate(int64_t unix_nanos) {
  time_t seconds = static_cast<time_t>(unix_nanos / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buf[40];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  std::string s(text);
  static constexpr const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
      "%Y-%m-%dT%H:%M:%S",          // ISO 8601 (lenient, as S3 accepts)
  };
  for (const char* format : kFormats) {
    struct tm tm = {};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end != nullptr) return static_cast<int64_t>(timegm(&tm));
  }
  return std::nullopt;
}

}  // namespace fsgate::gateway
