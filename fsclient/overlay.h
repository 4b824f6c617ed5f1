// Overlay: the namespace as answered but not yet applied — per bucket, key ->
// the latest pending create (its metadata and where its bytes are) or a
// tombstone. Readers consult it before the filesystem, so an answered PUT or
// DELETE is visible at once; the applier resolves an entry once the op with
// that entry's seq is on disk (a later op on the key keeps its own entry).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/sleeping_shared_mutex.h"
#include "fsclient/namespace.h"

namespace fsgate::fsclient {

struct OverlayEntry {
  uint64_t seq = 0;
  bool tombstone = false;
  // A pending create: its metadata and its bytes (inline, or the open staging file).
  ObjectMeta meta;
  std::shared_ptr<const std::string> inline_data;
  std::shared_ptr<fs::File> file;
  uint64_t ino = 0;  // the delegated inode the create will link

  ObjectVersion Version() const;
};

// Entries are shared and immutable once published: a lookup or a LIST's
// snapshot copies pointers under the lock, never metadata.
using OverlayEntryPtr = std::shared_ptr<const OverlayEntry>;
using OverlayRange = std::vector<std::pair<std::string, OverlayEntryPtr>>;

class Overlay {
 public:
  void Put(const std::string& bucket, const std::string& key, OverlayEntry entry);
  // The entry of bucket/key, or null.
  OverlayEntryPtr Get(const std::string& bucket, const std::string& key) const;
  // Drops the entry of bucket/key if it is still the one of op `seq`.
  void Resolve(const std::string& bucket, const std::string& key, uint64_t seq);
  // Entries whose key starts with `prefix` and sorts after `marker`, in key order.
  OverlayRange Range(const std::string& bucket, const std::string& prefix,
                     const std::string& marker) const;
  // True when a pending create's key starts with `prefix`.
  bool HasCreateUnder(const std::string& bucket, const std::string& prefix) const;
  size_t size() const;

 private:
  // Not std::shared_mutex: the applier's nice-19 workers take it too (see
  // sleeping_shared_mutex.h).
  mutable SleepingSharedMutex mu_;
  std::map<std::string, std::map<std::string, OverlayEntryPtr>> buckets_;
  size_t size_ = 0;
};

// A cursor over the filesystem's keys with the overlay's snapshot merged in, in
// key order: pending creates appear (replacing the disk entry), tombstones hide.
std::unique_ptr<KeyCursor> MergeOverlay(OverlayRange overlay, std::unique_ptr<KeyCursor> disk);

}  // namespace fsgate::fsclient
