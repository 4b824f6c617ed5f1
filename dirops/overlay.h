// Overlay: the namespace as answered but not yet applied — per top, name ->
// the latest pending create (its metadata and where its bytes are) or a
// tombstone. Readers consult it before the filesystem, so an answered PUT or
// DELETE is visible at once; the applier resolves an entry once the op with
// that entry's seq is on disk (a later op on the name keeps its own entry).
//
// An op that displaces the file its name holds (OpOptions::displace_to) also
// leaves that file's view here, by the path it is moved to, until the same op
// is applied, and so does an unlink for the marker it makes beside it
// (OpOptions::marker, an empty view): each pending op on a name adds at most
// two, so a name may have several. They and the entry are published under one
// lock hold, so a reader never sees the new state without them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/sleeping_shared_mutex.h"
#include "dirops/namespace.h"

namespace fsgate::dirops {

struct OverlayEntry {
  uint64_t seq = 0;
  bool tombstone = false;
  // A pending create: its attributes and its bytes (inline, or the open staging file).
  std::string attrs;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::shared_ptr<const std::string> inline_data;
  std::shared_ptr<fs::File> file;
  uint64_t ino = 0;  // the delegated inode the create will link

  NodeView View() const;
};

// A file a pending op moves away from its name, or makes beside it: readable
// at `path` (a path relative to the root) until op `seq` is applied.
struct DisplacedNode {
  std::string path;
  uint64_t seq = 0;
  NodeView view;
};

// Entries are shared and immutable once published: a lookup or a LIST's
// snapshot copies pointers under the lock, never metadata.
using OverlayEntryPtr = std::shared_ptr<const OverlayEntry>;
using OverlayRange = std::vector<std::pair<std::string, OverlayEntryPtr>>;

class Overlay {
 public:
  void Put(const std::string& top, const std::string& name, OverlayEntry entry,
           std::vector<DisplacedNode> displaced = {});
  // The entry of top/name, or null.
  OverlayEntryPtr Get(const std::string& top, const std::string& name) const;
  // The files pending ops move away from top/name or make, oldest first.
  std::vector<DisplacedNode> Displaced(const std::string& top, const std::string& name) const;
  // Drops the entry of top/name if it is still the one of op `seq`, and the
  // files op `seq` displaced or made.
  void Resolve(const std::string& top, const std::string& name, uint64_t seq);
  // Entries whose name starts with `prefix` and sorts after `marker`, in name order.
  OverlayRange Range(const std::string& top, const std::string& prefix,
                     const std::string& marker) const;
  // True when a pending create's name starts with `prefix`.
  bool HasCreateUnder(const std::string& top, const std::string& prefix) const;
  size_t size() const;

 private:
  // Not std::shared_mutex: the applier's nice-19 workers take it too (see
  // sleeping_shared_mutex.h).
  mutable SleepingSharedMutex mu_;
  std::map<std::string, std::map<std::string, OverlayEntryPtr>> tops_;
  // (top, name) -> the files its pending creates displace, in seq order.
  std::map<std::pair<std::string, std::string>, std::vector<DisplacedNode>> displaced_;
  size_t size_ = 0;
};

// The range as the Namespace hands it out (PendingNode), without open data.
std::vector<PendingNode> PendingNodes(const OverlayRange& range);

}  // namespace fsgate::dirops
