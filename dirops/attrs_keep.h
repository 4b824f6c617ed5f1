// AttrsKeep: the attribute blobs (node_attrs.h) of the files reads found,
// kept by inode, so that a GET or HEAD of an unchanged file reads no xattr.
//
// Why: a 4 KiB GET made nine system calls (recvmsg, ppoll, the bucket's
// fstatat, openat2, fstat, fgetxattr, pread, close, sendmsg); the fgetxattr
// was 2.8 % of the server's CPU at 16 connections (perf -e cpu-clock).
//
// A blob is used only for the exact stat it was kept with: inode, ctime,
// mtime and size. Whoever changes a file (fsgate, or a program beside it: its
// xattrs, data, links or name) moves its ctime; and a blob is kept only when
// the file's ctime is older than the racy margin at the read. The kernel
// stamps ctime from a coarse clock (~4 ms a tick): a change in the tick of
// the stat could leave it equal, and the margin leaves no such tick open (as
// git's racy-clean rule and dir_listing_cache.h's). A new file that reuses a
// kept inode number has a ctime after the kept one. A backend that reports no
// ctime (0: CephFS) keeps nothing.
//
// Direct-mapped by inode, one blob a slot, fixed memory: kSlots slots of
// sizeof(Slot) bytes (5 MiB), calloc'd when the first blob is kept, so pages
// no blob reached cost nothing. A blob over kMaxBlob bytes (an object with
// user metadata or tags past about 100 bytes) is read each time. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "fs/backend.h"

namespace fsgate::dirops {

class AttrsKeep {
 public:
  AttrsKeep() = default;
  ~AttrsKeep() { std::free(slots_.load(std::memory_order_relaxed)); }
  AttrsKeep(const AttrsKeep&) = delete;
  AttrsKeep& operator=(const AttrsKeep&) = delete;

  // The blob kept for exactly the file `st` describes, if any.
  std::optional<std::string> Find(const fs::FileStat& st) const;
  // Keeps `blob`, read from the file `st` describes (the stat taken before
  // the read), unless its ctime is within the racy margin of `now_ns` (the
  // wall clock after the stat) or the blob is too large.
  void Keep(const fs::FileStat& st, std::string_view blob, int64_t now_ns);

 private:
  static constexpr size_t kSlots = 32768;
  static constexpr size_t kStripes = 64;

  struct Slot {
    uint64_t ino;
    int64_t ctime_ns;  // 0: nothing kept
    int64_t mtime_ns;
    uint64_t size;
    uint16_t length;
    char blob[126];
  };
  static_assert(sizeof(Slot) == 160);
  static constexpr size_t kMaxBlob = sizeof(Slot::blob);

  static size_t SlotOf(uint64_t ino);
  std::mutex& StripeOf(size_t slot) const { return stripes_[slot % kStripes]; }

  mutable std::array<std::mutex, kStripes> stripes_;
  std::once_flag allocated_;
  std::atomic<Slot*> slots_{nullptr};  // set once, by the first Keep
};

}  // namespace fsgate::dirops
