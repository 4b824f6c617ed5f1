// Shared fixtures for the async dirops tests: a scratch directory with a real
// PosixBackend and a real metrics::Metrics, and a reader of metric values.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "fs/backend.h"
#include "fs/posix_backend.h"
#include "metrics/metrics.h"
#include "store_test_util.h"

namespace fsgate::fsclient::testing {

// The value of one series (counter, gauge, or a histogram's sample count).
inline double MetricValue(metrics::Metrics& m, const std::string& name,
                          const std::map<std::string, std::string>& labels = {}) {
  double total = 0;
  for (const auto& family : m.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& label : metric.label) found |= label.name == k && label.value == v;
        match &= found;
      }
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          total += metric.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          total += metric.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          total += static_cast<double>(metric.histogram.sample_count);
          break;
        default:
          break;
      }
    }
  }
  return total;
}

// A temporary root that also hands out PosixBackends over itself.
class ScratchDir : public TempDir {
 public:
  std::unique_ptr<fs::Backend> NewBackend() const {
    auto b = fs::MakePosixBackend(path());
    EXPECT_TRUE(b.ok()) << b.status().message();
    return std::move(*b);
  }
};

}  // namespace fsgate::fsclient::testing
