// DirCaps: the directories this gateway knows to exist — the CephFS client's
// DIR_CREATE cap plus cached layout. The first create under a directory not
// here makes (or finds) the directory synchronously and leaves it here;
// creates under a directory here may go async. The applier forgets a
// directory when an unlink prunes it.
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>

namespace fsgate::dirops {

class DirCaps {
 public:
  bool Has(const std::string& dir) const {
    std::lock_guard lock(mu_);
    return dirs_.contains(dir);
  }
  void Grant(const std::string& dir) {
    std::lock_guard lock(mu_);
    dirs_.insert(dir);
  }
  void Revoke(const std::string& dir) {
    std::lock_guard lock(mu_);
    dirs_.erase(dir);
  }
  // Forgets `dir` and every directory under it (a top being deleted).
  void RevokeTree(const std::string& dir) {
    std::lock_guard lock(mu_);
    std::erase_if(dirs_, [&](const std::string& d) {
      return d == dir || (d.size() > dir.size() && d.starts_with(dir) && d[dir.size()] == '/');
    });
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> dirs_;
};

}  // namespace fsgate::dirops
