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
// fs::kRacyMarginNs before the read began. Adding or removing an entry sets the
// directory's mtime to the current time — through fsgate (the applier, a sync
// op, another gateway) or beside it (a POSIX writer). A change in the same
// clock tick as the read could leave the mtime equal (ext4 stamps with a
// coarse clock, ~4 ms); the margin excludes it: a directory changed within the
// margin before its read is not kept, and read again next time (git's "racy
// clean" rule). Entries are names and types only: sizes, ETags and mtimes are
// read per page, so a file rewritten in place is never listed stale.
//
// ETags are kept too (with the ACL of the same record, for the owner
// listings show), one packed slot per entry of the kept listing (etag_keep.h),
// used while the file's inode, mtime, ctime and size are those they were read
// with (ctime moves with every data, xattr, link or rename change; the same
// racy margin applies to it): a page of kept entries then costs one stat a
// key instead of a stat and one or two getxattr (measured, 100,000 keys in
// one directory: 2 lgetxattr + 1 fstatat a key). A directory read again
// after a change of its entries carries the ETags of the names it still has
// over from the listing it replaces.
//
// Memory is bounded (--list-cache-mib, default 128 MiB: least recently used
// listings go first, each with its ETags) and exported as
// fsgate_list_cache_bytes, counting the bytes allocated; a directory whose
// names pass the bound is never kept, and is read and sorted again for each
// page; one whose names fit but not its ETags' slots is kept without them. A
// listing is its names' bytes and 8 more each (dir_listing.h), its ETags 56
// bytes each: 1,000,000 names of 17 bytes take 25 MB and their ETags 56 MB,
// both within the default bound, so every page of a walk after the first is
// one stat a key, as in a small directory (before, an ETag took about 190
// bytes in a map by inode, half the bound held some 350,000, and a walk of a
// 1,000,000-key directory read them all again: 11.3 ms of CPU a page against
// 4.5 ms for 100,000).
//
// Why a kept listing is dropped, not updated in place, when fsgate itself
// creates or unlinks a name in its directory: the update would have to move
// the listing's stamp to the directory's new mtime, and nothing tells that
// mtime from one a writer beside fsgate (a POSIX program, another gateway on
// CephFS) set in the same interval: a stat before the op and one after it
// leave a window between them in which a foreign create or unlink changes the
// directory unseen, its mtime then overwritten by fsgate's own, or equal to
// it within a tick. Without a lock the other writers take, no stamp proves
// that fsgate's change was the only one, and the new mtime is also within the
// racy margin of any read. The ETags at least survive a re-read (above).
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
#include "store/etag_keep.h"

namespace fsgate::store {

class DirListingCache {
 public:
  // Sorted by sort_name; shared by every cursor using it, never changed.
  using Listing = std::shared_ptr<const DirListing>;

  DirListingCache(size_t max_bytes, metrics::Metrics& metrics);
  DirListingCache(const DirListingCache&) = delete;
  DirListingCache& operator=(const DirListingCache&) = delete;

  // The ETags kept for a listing's entries, by index. Used only through the
  // calls below (under the cache's lock); emptied when its listing is evicted.
  using Etags = std::shared_ptr<EtagKeep>;

  // The kept listing of `dir` when `stamp` (the directory's stat now) is the
  // one it was read with, with its ETags in `etags` (null when the bound had
  // no room for them); null otherwise. Counts a hit or a miss.
  Listing Find(const std::string& dir, const fs::FileStat& stamp, Etags* etags = nullptr);
  // Keeps `listing`, read from `dir` with stat `stamp`, the read having begun
  // at `read_start_ns` (CLOCK_REALTIME): unless the invariant above forbids
  // it. Returns its ETags' keep, null when it or they are not kept.
  Etags Insert(const std::string& dir, const fs::FileStat& stamp, Listing listing,
               int64_t read_start_ns);

  // The attributes kept for entry `slot` of the listing of `etags`, for the
  // file `st` describes (a stat of it now), if any.
  std::optional<FileAttrs> FindEtag(const Etags& etags, size_t slot, const fs::FileStat& st);
  // Keeps the attributes read for `st`, the read having begun at `read_start_ns`.
  void KeepEtag(const Etags& etags, size_t slot, const fs::FileStat& st, const FileAttrs& attrs,
                int64_t read_start_ns);

  // Every byte held: the listings, their ETags and the bookkeeping.
  size_t bytes() const;

 private:
  struct Kept {
    uint64_t ino = 0;
    int64_t mtime_ns = 0;
    Listing listing;
    Etags etags;       // null: kept without ETags
    size_t bytes = 0;  // of the listing and its key; the ETags' are etags->bytes()
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };
  static size_t BytesOf(const std::string& dir, const DirListing& listing);
  static size_t BytesOf(const Kept& kept);
  // Forgets `it`; with `drop`, empties its ETags (a cursor may still hold them).
  void EraseLocked(std::unordered_map<std::string, Kept>::iterator it, bool drop = true);
  void EvictLocked(size_t need);

  const size_t max_bytes_;
  metrics::Metrics& metrics_;
  mutable std::mutex mu_;  // guards everything below and every EtagKeep handed out
  std::unordered_map<std::string, Kept> kept_;
  std::list<std::string> lru_;
  size_t bytes_ = 0;  // listings and their ETags
};

}  // namespace fsgate::store
