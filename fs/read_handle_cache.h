// ReadHandleCache: read-only handles of files kept open for a while after
// their last reader closed them, so the next open of the same file reuses one.
//
// Why (CephFS): every open and every last close of a file changes the caps
// this client "wants" of it, and libcephfs tells the MDS each change in a cap
// message — unless the client holds more caps of the file than the open needs
// (then the close's release is delayed and the open sends nothing). A file a
// sync PUT made keeps Fx and Fw here; one the async applier made, renamed and
// setxattr'd does not (the MDS revoked them), so each GET of it sent two cap
// messages: 0.41 a GET over 20,000 GETs of 300 such objects at 1 connection on
// the dev cluster, async GETs 43-54 us of CPU against 28-29 us sync, half the
// sync GET rate. Kept open, the handle keeps the wanted caps where they are.
//
// A handle is keyed by the file itself (the caller's inode identity, which it
// keeps valid while cached: the handle holds a reference on it), so a name
// replaced by a rename or unlink resolves to the new file and never reads the
// old one through the cache. What a cached handle pins is bounded: at most
// `capacity` handles, each closed once unused for `idle` (a sweeper thread,
// asleep while the cache is empty), so an unlinked file's space comes back at
// most `idle` after its last read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace fsgate::fs {

class ReadHandleCache {
 public:
  // An open handle; destroying the last copy closes it.
  using Handle = std::shared_ptr<void>;

  struct Options {
    // A working set beyond the capacity, read in turn, never hits (least
    // recently used goes first). 3,000 keys read at 16 connections on the
    // dev cluster: 1,024 handles, async 59 us of fsgate CPU a GET and 6 us
    // of the MDS's; 4,096 handles, 34 and 3 (sync: 39-41 and 1). Open
    // handles pin their inodes in the mount's inode cache: 4,096 is a
    // sixteenth of the 65,536 fsgate's mounts keep (cephfs_backend.cpp,
    // CacheTheWorkingSet), chosen when that cache held 16,384.
    size_t capacity = 4096;
    std::chrono::milliseconds idle{2000};
  };

  explicit ReadHandleCache(Options options);
  ~ReadHandleCache();  // closes every handle not in use
  ReadHandleCache(const ReadHandleCache&) = delete;
  ReadHandleCache& operator=(const ReadHandleCache&) = delete;

  // The cached handle of `key`, else the one `open` makes (then cached).
  Result<Handle> Get(const void* key, const std::function<Result<Handle>()>& open);
  // Closes the handles not in use now (e.g. before the filesystem goes).
  void Clear();

  [[nodiscard]] size_t size() const;
  [[nodiscard]] uint64_t hits() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Handle handle;
    Clock::time_point used;
    std::list<const void*>::iterator lru;  // its place in lru_
  };
  // Drops the entries unused for `idle_` and those beyond capacity_, oldest
  // first; returns them, for closing without mu_ held.
  std::vector<Handle> EvictLocked(Clock::time_point now);
  void SweepLoop();

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<const void*, Entry> entries_;
  std::list<const void*> lru_;  // least recently used first
  uint64_t hits_ = 0;
  bool stop_ = false;
  std::thread sweeper_;
};

}  // namespace fsgate::fs
