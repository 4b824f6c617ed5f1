// DirListingCache: the sorted entries of directories that listings read, kept
// between pages while the directory does not change.
//
// Why: a ListObjectsV2 page read and sorted its whole directory, so listing a
// directory of N keys cost N²/1000 entry reads: 100,000 keys in one directory
// listed at 5,400 keys/s (166 ms a page) against 58,000 keys/s for the same
// keys in directories of 100 (`tests/bench/run_bench.py --list`). With the
// sorted entries kept, a page is a binary search and its own 1,000 entries:
// fsgate's CPU per page of that directory went from 70 ms to 4 ms (208,000
// keys per CPU-second, nested 222,000; server utime+stime over 200 pages).
//
// When a kept listing may be used (the invariant): the directory's inode and
// mtime are those it had when it was read, and that mtime lay at least
// kRacyMarginNs before the read began. Adding or removing an entry sets the
// directory's mtime to the current time — through fsgate (the applier, a sync
// op, another gateway) or beside it (a POSIX writer). A change in the same
// clock tick as the read could leave the mtime equal (ext4 stamps with a
// coarse clock, ~4 ms); the margin excludes it: a directory changed within the
// margin before its read is not kept, and read again next time (git's "racy
// clean" rule). Entries are names and types only: sizes, ETags and mtimes are
// read per page, so a file rewritten in place is never listed stale.
//
// ETags are kept too (with the ACL of the same record, for the owner
// listings show), by inode, while the file's mtime, ctime and size are
// those they were read with (ctime moves with every data, xattr, link or
// rename change; the same racy margin applies to it): a page of kept entries
// then costs one stat a key instead of a stat and one or two getxattr
// (measured, 100,000 keys in one directory: 2 lgetxattr + 1 fstatat a key).
//
// Memory is bounded (--list-cache-mib, default 128 MiB: least recently used
// listings go first; the ETags all at once when they pass half the bound) and
// exported as fsgate_list_cache_bytes; a directory larger than the bound is
// never kept, and is read and sorted again for each page. A listing is its
// names' bytes and 8 more each (dir_listing.h): 1,000,000 names of 17 bytes
// take 25 MB, listed at the rate of small directories' pages (CPU per page
// independent of the page's place; before, at 72 bytes a name, that directory
// fell out of the bound beside its ETags and each page re-read it: 81 ms of
// CPU a page, a first walk of 303 s, now 39 s). An ETag kept costs about 190
// bytes: half the default bound holds some 350,000, so a walk of a larger
// directory reads its ETags again (measured, 1,000,000 files made beside
// fsgate: 11.3 ms of CPU a page against 4.5 ms for 100,000).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/backend.h"
#include "metrics/metrics.h"
#include "store/dir_listing.h"

namespace fsgate::store {

class DirListingCache {
 public:
  // Sorted by sort_name; shared by every cursor using it, never changed.
  using Listing = std::shared_ptr<const DirListing>;

  // 1 s: far above any filesystem's timestamp granularity, and above the
  // clock skew between a gateway and a CephFS MDS on one network.
  static constexpr int64_t kRacyMarginNs = 1'000'000'000;
  DirListingCache(size_t max_bytes, metrics::Metrics& metrics);
  DirListingCache(const DirListingCache&) = delete;
  DirListingCache& operator=(const DirListingCache&) = delete;

  // The kept listing of `dir` when `stamp` (the directory's stat now) is the
  // one it was read with; null otherwise. Counts a hit or a miss.
  Listing Find(const std::string& dir, const fs::FileStat& stamp);
  // Keeps `listing`, read from `dir` with stat `stamp`, the read having begun
  // at `read_start_ns` (CLOCK_REALTIME): unless the invariant above forbids it.
  void Insert(const std::string& dir, const fs::FileStat& stamp, Listing listing,
              int64_t read_start_ns);

  // What a listing reads of a file, from its record: the ETag and the ACL
  // (ObjectMeta::acl, whose owner listings show).
  struct FileAttrs {
    std::string etag;
    std::string acl;
    bool operator==(const FileAttrs&) const = default;
  };
  // The attributes kept for the file `st` describes (a stat of it now), if any.
  std::optional<FileAttrs> FindEtag(const fs::FileStat& st);
  // Keeps the attributes read for `st`, the read having begun at `read_start_ns`.
  void KeepEtag(const fs::FileStat& st, FileAttrs attrs, int64_t read_start_ns);

  size_t bytes() const;

 private:
  struct KeptEtag {
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    uint64_t size = 0;
    FileAttrs attrs;
  };
  struct Kept {
    uint64_t ino = 0;
    int64_t mtime_ns = 0;
    Listing listing;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };
  static size_t BytesOf(const std::string& dir, const DirListing& listing);
  void EvictLocked(size_t need);

  const size_t max_bytes_;
  metrics::Metrics& metrics_;
  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, Kept> kept_;
  std::list<std::string> lru_;
  std::unordered_map<uint64_t, KeptEtag> etags_;  // by inode
  size_t etag_bytes_ = 0;
  size_t bytes_ = 0;  // listings and etags
};

}  // namespace fsgate::store
