// The body of GET /metrics: every family of the Metrics registry, the
// process_* series and fsgate_build_info, in the Prometheus text format 0.0.4.
#pragma once

#include <string>

namespace fsgate::metrics {

class Metrics;

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderExposition(const Metrics& metrics, const std::string& version,
                             const std::string& commit);

}  // namespace fsgate::metrics
