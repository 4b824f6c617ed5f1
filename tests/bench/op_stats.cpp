#include "tests/bench/op_stats.h"

#include <algorithm>
#include <cmath>

namespace fsgate::bench {

void OpStats::Merge(const OpStats& other) {
  latency_ms.insert(latency_ms.end(), other.latency_ms.begin(), other.latency_ms.end());
  for (const auto& [status, count] : other.status_counts) status_counts[status] += count;
  bytes += other.bytes;
}

uint64_t OpStats::errors() const {
  uint64_t errors = 0;
  for (const auto& [status, count] : status_counts) {
    if (status < 200 || status > 299) errors += count;
  }
  return errors;
}

Percentiles OpStats::ComputePercentiles() {
  Percentiles p;
  if (latency_ms.empty()) return p;
  std::sort(latency_ms.begin(), latency_ms.end());
  const auto rank = [&](double q) {
    const auto n = static_cast<double>(latency_ms.size());
    const auto index = static_cast<size_t>(std::max(1.0, std::ceil(q * n))) - 1;
    return static_cast<double>(latency_ms[std::min(index, latency_ms.size() - 1)]);
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.max = latency_ms.back();
  return p;
}

}  // namespace fsgate::bench
