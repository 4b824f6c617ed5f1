#include "base/iso8601.h"

#include <ctime>
#include <string>

namespace fsgate {

std::optional<int64_t> ParseIso8601Seconds(std::string_view text) {
  const std::string s(text);
  struct tm tm = {};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  std::string_view rest(end);
  if (rest.starts_with('.')) {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  if (rest != "Z") return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace fsgate
