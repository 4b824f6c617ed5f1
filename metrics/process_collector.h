// ProcessCollector: the standard process_* series of Prometheus client
// libraries (resident/virtual memory, open/max fds, CPU seconds, start time),
// read from /proc/self when scraped. These values belong to the kernel, not to
// a code path of ours, so reading them at scrape time is right here.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace fsgate::metrics {

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace fsgate::metrics
