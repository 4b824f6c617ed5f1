// Reads fsgate's pending async dirops from its Prometheus endpoint, to tell
// when everything answered has also been applied to the filesystem.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tests/bench/http_connection.h"

namespace fsgate::bench {

struct PendingOps {
  double create = 0;
  double unlink = 0;
  bool none() const { return create == 0 && unlink == 0; }
};

// From the text exposition format; nullopt unless both
// fsgate_async_pending{op="create"} and {op="unlink"} are present.
std::optional<PendingOps> ParsePending(std::string_view exposition);

class MetricsProbe {
 public:
  MetricsProbe(std::string host, std::string port);
  // nullopt when the endpoint cannot be read or lacks the gauges.
  std::optional<PendingOps> Read();

 private:
  std::string host_header_;
  HttpConnection connection_;
};

}  // namespace fsgate::bench
