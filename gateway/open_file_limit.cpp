#include "gateway/open_file_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>

namespace fsgate::gateway {
namespace {

// A connection is its socket; an idle one (most of them) holds nothing else.
constexpr uint64_t kDescriptorsPerConnection = 1;

// Kept for everything else: the journal, the staging pool, the listeners,
// the metrics server's connections, the backend's directories.
constexpr uint64_t kReservedDescriptors = 128;

// A quarter of the limit is kept for the files requests in flight hold open
// (the object, a staging file: two each): room for one busy request per
// eight connections. Past that a request's open fails (an error answer) or
// accepting backs off; the server goes on.
constexpr uint64_t kRequestFilesShare = 4;

}  // namespace

int64_t FitConnectionsToOpenFileLimit(int64_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  const rlim_t found = limit.rlim_cur;
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = found;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return wanted;
  const uint64_t open_files = limit.rlim_cur;
  const uint64_t kept = kReservedDescriptors + open_files / kRequestFilesShare;
  const uint64_t spare = open_files > kept ? open_files - kept : 0;
  const auto affordable =
      static_cast<int64_t>(std::max<uint64_t>(spare / kDescriptorsPerConnection, 1));
  if (wanted <= affordable) return wanted;
  spdlog::warn(
      "max-connections={} (not {}): the open-file limit is {} (hard limit {}), {} descriptor(s) "
      "per connection after {} for the store and its requests' files; raise `ulimit -n` for more",
      affordable, wanted, open_files, limit.rlim_max, kDescriptorsPerConnection, kept);
  return affordable;
}

}  // namespace fsgate::gateway
