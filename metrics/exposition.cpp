#include "metrics/exposition.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "metrics/metrics.h"
#include "metrics/process_collector.h"

namespace fsgate::metrics {
namespace {

// fsgate_build_info{version,commit} 1: joins any series to the build that made it.
prometheus::MetricFamily BuildInfo(const std::string& version, const std::string& commit) {
  prometheus::MetricFamily family{"fsgate_build_info",
                                  "fsgate build, as labels; the value is always 1",
                                  prometheus::MetricType::Gauge,
                                  {}};
  prometheus::ClientMetric metric;
  metric.label = {{"commit", commit}, {"version", version}};
  metric.gauge.value = 1;
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::string RenderExposition(const Metrics& metrics, const std::string& version,
                             const std::string& commit) {
  std::vector<prometheus::MetricFamily> families = metrics.registry()->Collect();
  families.push_back(BuildInfo(version, commit));
  for (auto& family : ProcessCollector().Collect()) families.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace fsgate::metrics
