// EtagKeep: the ETags (and ACLs) of one kept directory listing's files, one
// packed slot per entry of the listing, parallel to its name slots.
//
// Why: the keep before this was a map by inode of strings, about 190 bytes an
// ETag (map node, key, stamps, two std::string and a heap block each for the
// 32 hex digits), so half of the default 128 MiB bound held some 350,000 and
// a walk of a 1,000,000-key directory read every ETag again: 11.3 ms of CPU a
// page against 4.5 ms for 100,000 keys. Here an ETag costs 56 bytes: its
// validity stamps (inode, mtime, ctime, size), the MD5 as 16 bytes and the
// part count of a multipart ("<md5>-<N>") or derived ETag, and the index of
// its ACL in a table of the listing's distinct strings (almost always 0:
// private to the bucket's owner, the empty ACL). 1,000,000 of them are 56 MB,
// which fit in the bound beside the directory's names (25 MB for 17-byte
// names). An ETag of another form (a checksum-style ETag, upper-case hex) is
// kept whole in the string table, so every ETag round-trips byte for byte.
//
// A slot is used only for the exact stat it was kept with (never stale: the
// caller keeps nothing changed within the racy margin, dir_listing_cache.h).
// Not thread-safe: DirListingCache guards every call with its lock.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fs/backend.h"

namespace fsgate::store {

class DirListing;

// What a listing reads of a file, from its record: the ETag and the ACL
// (ObjectMeta::acl, whose owner listings show).
struct FileAttrs {
  std::string etag;
  std::string acl;
  bool operator==(const FileAttrs&) const = default;
};

class EtagKeep {
 public:
  // Room for `slots` ETags, none kept yet.
  explicit EtagKeep(size_t slots);
  EtagKeep(const EtagKeep&) = delete;
  EtagKeep& operator=(const EtagKeep&) = delete;

  // The bytes an empty keep of `slots` takes.
  static size_t BytesFor(size_t slots);
  // The bytes held now: the slots and the string table.
  size_t bytes() const { return BytesFor(slots_) + string_bytes_; }
  size_t slots() const { return slots_; }

  // The attributes kept in `slot` for exactly the stat `st`, if any.
  std::optional<FileAttrs> Find(size_t slot, const fs::FileStat& st) const;
  // The bytes keeping `attrs` would add to bytes() (strings new to the table).
  size_t GrowthOf(const FileAttrs& attrs) const;
  // Keeps `attrs` read for the file `st` describes in `slot`.
  void Keep(size_t slot, const fs::FileStat& st, const FileAttrs& attrs);
  // Copies, from the keep `old` of the listing `old_names`, the slots of the
  // names `names` (a later read of the same directory) still has: the ETags
  // of a directory outlive a change of its entries. Returns the bytes added.
  size_t CarryFrom(const DirListing& old_names, const EtagKeep& old, const DirListing& names);
  // Frees every slot and string: what a cursor still holding it asks finds
  // nothing and keeps nothing (its listing left the cache).
  void Drop();

 private:
  struct Slot {
    uint64_t ino;
    int64_t mtime_ns;
    int64_t ctime_ns;  // 0: nothing kept (a stat without ctime is never kept)
    uint64_t size;
    std::array<uint8_t, 16> md5;  // kGeneral: its first 4 bytes index strings_
    uint32_t parts;               // 0: "<md5>"; N: "<md5>-<N>"; kGeneral: in strings_
    uint32_t acl;                 // index in strings_; 0 is ""
  };
  static_assert(sizeof(Slot) == 56);
  static constexpr uint32_t kGeneral = UINT32_MAX;
  // Heap and table overhead of one string in the table.
  static constexpr size_t kStringOverhead = 64;

  // Index of `s` in strings_, or nullopt when it is not there.
  std::optional<uint32_t> IndexOf(std::string_view s) const;
  uint32_t Intern(std::string_view s);
  std::string_view StringAt(uint32_t index) const { return strings_[index]; }
  void CopySlot(Slot& to, const Slot& from, const EtagKeep& from_keep);

  struct Free {
    void operator()(Slot* p) const { std::free(p); }
  };
  size_t slots_;
  // calloc'd: pages of slots no walk reached stay untouched.
  std::unique_ptr<Slot[], Free> slot_;
  std::deque<std::string> strings_;  // stable addresses: index_ views them
  std::unordered_map<std::string_view, uint32_t> index_;
  size_t string_bytes_ = 0;
};

}  // namespace fsgate::store
