#include "fsclient/key_locks.h"

#include <algorithm>

namespace fsgate::fsclient {

std::vector<std::unique_lock<std::mutex>> KeyLocks::LockMany(std::string_view bucket,
                                                             const std::vector<std::string>& keys) {
  if (keys.empty()) return {};
  std::vector<size_t> wanted;
  for (const std::string& key : keys) wanted.push_back(Stripe(bucket, key));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // Block on one stripe holding nothing else, then try the rest; on a busy
  // one let all go and block on that one next (std::lock's back-off).
  size_t first = 0;
  for (;;) {
    std::vector<std::unique_lock<std::mutex>> held;
    held.emplace_back(stripes_[wanted[first]]);
    size_t busy = wanted.size();
    for (size_t i = 0; i < wanted.size() && busy == wanted.size(); ++i) {
      if (i == first) continue;
      std::unique_lock<std::mutex> lock(stripes_[wanted[i]], std::try_to_lock);
      if (lock.owns_lock()) {
        held.push_back(std::move(lock));
      } else {
        busy = i;
      }
    }
    if (busy == wanted.size()) return held;
    first = busy;
  }
}

}  // namespace fsgate::fsclient
