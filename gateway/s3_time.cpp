#include "gateway/s3_time.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace fsgate::gateway {

namespace {

// The civil UTC time of a non-negative time before year 10000, without
// gmtime_r and snprintf/strftime: every response carries a Date header, and
// a GET a Last-Modified too (strftime with its locale lookups was 3 % of a
// GET's instructions).
struct CivilTime {
  int year, month, day, hour, minute, second, weekday;  // weekday: 0 = Sunday
};

std::optional<CivilTime> CivilOf(int64_t unix_seconds) {
  using namespace std::chrono;
  constexpr int64_t kYear10000 = 253402300800;
  if (unix_seconds < 0 || unix_seconds >= kYear10000) return std::nullopt;
  const sys_seconds time{seconds(unix_seconds)};
  const sys_days day = floor<days>(time);
  const year_month_day ymd{day};
  const hh_mm_ss hms{time - day};
  return CivilTime{static_cast<int>(ymd.year()),
                   static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day())),
                   static_cast<int>(hms.hours().count()),
                   static_cast<int>(hms.minutes().count()),
                   static_cast<int>(hms.seconds().count()),
                   static_cast<int>(weekday{day}.c_encoding())};
}

// `value` as exactly `width` decimal digits at `out`.
char* PutDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string FormatIso8601(int64_t unix_nanos) {
  if (auto t = CivilOf(unix_nanos / 1000000000)) {
    char buf[24];  // "2009-10-12T17:50:30.000Z"
    char* p = PutDigits(buf, t->year, 4);
    *p++ = '-';
    p = PutDigits(p, t->month, 2);
    *p++ = '-';
    p = PutDigits(p, t->day, 2);
    *p++ = 'T';
    p = PutDigits(p, t->hour, 2);
    *p++ = ':';
    p = PutDigits(p, t->minute, 2);
    *p++ = ':';
    p = PutDigits(p, t->second, 2);
    *p++ = '.';
    p = PutDigits(p, static_cast<int>((unix_nanos / 1000000) % 1000), 3);
    *p++ = 'Z';
    return std::string(buf, p);
  }
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
  if (auto t = CivilOf(unix_nanos / 1000000000)) {
    static constexpr std::string_view kDays = "SunMonTueWedThuFriSat";
    static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char buf[29];  // "Wed, 12 Oct 2009 17:50:30 GMT"
    char* p = std::copy_n(kDays.data() + 3 * t->weekday, 3, buf);
    *p++ = ',';
    *p++ = ' ';
    p = PutDigits(p, t->day, 2);
    *p++ = ' ';
    p = std::copy_n(kMonths.data() + 3 * (t->month - 1), 3, p);
    *p++ = ' ';
    p = PutDigits(p, t->year, 4);
    *p++ = ' ';
    p = PutDigits(p, t->hour, 2);
    *p++ = ':';
    p = PutDigits(p, t->minute, 2);
    *p++ = ':';
    p = PutDigits(p, t->second, 2);
    p = std::copy_n(" GMT", 4, p);
    return std::string(buf, p);
  }
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
