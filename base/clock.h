// The one wall clock of fsgate: object LastModified, upload and bucket
// creation times, request dates. Nanoseconds since the Unix epoch, as the
// journal, the xattrs and the backend's FileStat::mtime_ns carry them.
#pragma once

#include <chrono>
#include <cstdint>

namespace fsgate {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace fsgate
