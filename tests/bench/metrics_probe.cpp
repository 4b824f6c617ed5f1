#include "tests/bench/metrics_probe.h"

#include <cstdlib>
#include <stdexcept>

namespace fsgate::bench {

std::optional<PendingOps> ParsePending(std::string_view exposition) {
  static constexpr std::string_view kName = "fsgate_async_pending{";
  std::optional<double> create;
  std::optional<double> unlink;
  size_t pos = 0;
  while (pos < exposition.size()) {
    size_t end = exposition.find('\n', pos);
    if (end == std::string_view::npos) end = exposition.size();
    const std::string_view line = exposition.substr(pos, end - pos);
    pos = end + 1;
    if (!line.starts_with(kName)) continue;
    const size_t close = line.find('}');
    if (close == std::string_view::npos) continue;
    const std::string_view labels = line.substr(kName.size(), close - kName.size());
    // The value is the first field after the labels (a timestamp may follow).
    const std::string value(line.substr(close + 1));
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) continue;
    if (labels.find("op=\"create\"") != std::string_view::npos) create = number;
    if (labels.find("op=\"unlink\"") != std::string_view::npos) unlink = number;
  }
  if (!create || !unlink) return std::nullopt;
  return PendingOps{*create, *unlink};
}

MetricsProbe::MetricsProbe(std::string host, std::string port)
    : host_header_(host + ":" + port), connection_(std::move(host), std::move(port)) {}

std::optional<PendingOps> MetricsProbe::Read() {
  try {
    const HttpResponse response = connection_.Send("GET", "/metrics", {{"host", host_header_}}, {});
    if (response.status != 200) return std::nullopt;
    return ParsePending(response.body);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

}  // namespace fsgate::bench
