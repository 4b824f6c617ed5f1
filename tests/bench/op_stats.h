// Per-operation outcomes of a load phase: every latency sample (percentiles
// come from all of them, not a histogram), HTTP statuses and payload bytes.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace fsgate::bench {

// HTTP status recorded for a request that got no response at all.
inline constexpr int kTransportFailure = 0;

struct Percentiles {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

struct OpStats {
  std::vector<float> latency_ms;
  std::map<int, uint64_t> status_counts;
  uint64_t bytes = 0;  // request plus response payload

  void Add(double latency, int status, uint64_t payload_bytes) {
    latency_ms.push_back(static_cast<float>(latency));
    ++status_counts[status];
    bytes += payload_bytes;
  }
  void Merge(const OpStats& other);
  uint64_t ops() const { return latency_ms.size(); }
  // Anything but 2xx, transport failures included.
  uint64_t errors() const;
  // Nearest-rank percentiles; sorts latency_ms.
  Percentiles ComputePercentiles();
};

}  // namespace fsgate::bench
