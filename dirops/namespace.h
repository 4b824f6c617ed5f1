// Namespace: the engine's interface, on nodes (node.h) and opaque attribute
// blobs (node_attrs.h). The store above it maps S3 keys to nodes, encodes and
// decodes object metadata, checks write conditions and merges listings; the
// engine knows none of that.
//
//   SyncNamespace   applies creates/unlinks on the Backend before returning
//                   (and fsyncs the parent directory with --fsync on).
//   AsyncNamespace  journals the intent (group commit), publishes it in its
//                   overlay, returns; its applier calls SyncNamespace later.
//                   Find and Pending answer from the overlay first, so readers
//                   through the store always see the answered state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "dirops/node.h"
#include "fs/backend.h"

namespace fsgate::dirops {

// The reason a kNotFound carries when the top directory a create or a lookup
// is under is missing, rather than the name itself.
inline constexpr std::string_view kReasonNoTopDir = "no-top-dir";
inline Status NameNotFound() { return Status::Error(StatusCode::kNotFound, "no such name"); }
// The name needs a directory where a file stands, or the reverse.
inline Status NameConflict(const std::string& name) {
  return Status::Error(StatusCode::kAlreadyExists, "a file and a directory conflict at " + name);
}
inline Status TopDirNotFound() {
  return Status::Error(StatusCode::kNotFound, "the top directory does not exist",
                       std::string(kReasonNoTopDir));
}

// A staging file (under the gateway's staging/) that will become a file node.
// With a delegated inode it came from the pre-created pool and `ino` is known ahead.
struct StagingFile {
  std::string path;
  uint64_t ino = 0;
  bool delegated = false;
};

// A node ready to be linked. Either its data and attributes are in `file`
// (synced with --fsync on), or — for small files — the body is in
// `inline_data` and `file` is an empty delegated staging file that the
// namespace fills later: the async namespace then makes the node durable by
// its journal record alone (one shared append instead of a file fsync on the
// request path, as the MDS journal does for metadata).
struct StagedNode {
  StagingFile file;
  std::string attrs;  // the caller's blob (node_attrs.h)
  uint64_t size = 0;  // of the body
  // The node's mtime as answered; 0: the engine's clock (a file), as linked
  // (a sync create). A directory node keeps its own in `attrs`.
  int64_t mtime_ns = 0;
  std::shared_ptr<const std::string> inline_data;
};

// The current version of a node, as the namespace answers it.
struct NodeView {
  // The blob (node_attrs.h); nullopt when the node has none: a file placed by
  // another program, or a node of an older attribute format (`legacy` names),
  // which the caller reads itself.
  std::optional<std::string> attrs;
  // Open data file of exactly this version: it stays readable if the node is
  // replaced or removed meanwhile. Null for a directory node.
  std::shared_ptr<fs::File> data;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t ino = 0;
};

// The caller's condition on a create, checked against the node's current
// version (nullptr: absent) under its lock, atomically with the change.
using WriteCheck = std::function<Status(const NodeView* current)>;

// A pending entry of the overlay: (name under the top directory, node.h; its
// view without open data, or nullopt for a pending unlink).
using PendingNode = std::pair<std::string, std::optional<NodeView>>;

// Bodies up to this size are handed to Publish() as inline_data.
inline constexpr uint64_t kInlineObjectMax = 64 * 1024;

struct OpOptions {
  bool sync = false;  // this op must be on disk before returning (header or sync mode)
  // false: an unlink leaves emptied directories for the caller to prune later
  // (the applier does it once per batch, not once per unlink).
  bool prune_now = true;
  // Another gateway may use the bucket too (its cap is shared, bucket_caps.h):
  // the op is made synchronously, counted as sync fallback "shared_cap".
  bool shared_cap = false;
  // The caller keeps the node's older versions beside it, moved there under
  // its own lock before this op: the op is made synchronously, counted as
  // sync fallback "versioned", so that the move and the op land in order.
  bool versioned = false;
  // The caller moves a file that stood where a directory is now needed into
  // that directory, under its own lock: made synchronously, counted as sync
  // fallback "key_nest" (rare: only a name conflict leads to it).
  bool nesting = false;
  // Create only: a synchronous publish of a file node fails (kFailedPrecondition)
  // when the name exists, decided by the filesystem in the link itself
  // (fs::Backend::RenameNoReplace). The check under the key's lock covers
  // one process; this covers two gateways on one root, whose sync publishes
  // otherwise both pass the check and both link (two winners in ~30 % of
  // races of 16 writers).
  bool no_replace = false;
  // Create of a file node only: the file the name holds is first moved to
  // this path (relative to the root, outside every top directory; displace.h),
  // in the same op as the link of the new one — one intent, applied in the
  // name's order, replayed as one. Until applied, the moved file is read at
  // that path through Displaced(). Empty: the file replaced goes.
  // Remove of a file node (not RemoveMany): the file is moved there instead
  // of unlinked, in the same way.
  std::string displace_to{};
  // Remove of a file node: an empty file made at this path (relative to the
  // root, outside every top directory) in the same op, durable before the
  // name's unlink can be — a mark the caller keeps beside the displaced files
  // (the store's delete marker). Read through Displaced() until applied.
  std::string marker{};
  // A file outside every top directory (relative to the root) that the op
  // removes once the name's change is made: a caller's older file this op
  // supersedes. Removing it again is harmless (its path is never reused), so
  // replay always repeats it.
  std::string drop{};
  // Remove only: the caller's condition (a conditional DeleteObject), seen
  // with the node's current version (nullptr: absent) under the name's lock,
  // atomically with the unlink, as Publish's check; an error leaves the node.
  // Borrowed for the call. RemoveMany takes none.
  const WriteCheck* remove_check = nullptr;
};

// A file a pending op moves away from its node (OpOptions::displace_to) or
// makes beside it (OpOptions::marker, empty, with no open data): its path and
// its view.
using DisplacedView = std::pair<std::string, NodeView>;

class Namespace {
 public:
  virtual ~Namespace() = default;

  // A staging file for a new file node's data: from the delegated pool when one is
  // available, else created on the spot (a sync fallback, counted).
  virtual Result<StagingFile> AcquireStaging() = 0;
  // Discards an unused or aborted staging file.
  virtual void ReleaseStaging(const StagingFile& file) = 0;

  // Makes `node` the current version at `at`, replacing any; `check` (may be
  // empty) sees the current version atomically with the change. The node's
  // mtime as answered.
  virtual Result<int64_t> Publish(const NodePath& at, StagedNode node, const WriteCheck& check,
                                  OpOptions options) = 0;
  // Removes the node if present (and prunes directories left empty).
  virtual Status Remove(const NodePath& at, OpOptions options) = 0;
  // Remove for each of `nodes`, all under one top directory; one status per
  // node, in order.
  virtual std::vector<Status> RemoveMany(const std::vector<NodePath>& nodes, OpOptions options) {
    std::vector<Status> results;
    for (const NodePath& node : nodes) results.push_back(Remove(node, options));
    return results;
  }

  // kNotFound when absent (or pending unlink).
  virtual Result<NodeView> Find(const NodePath& at) = 0;
  // The overlay's entries under `top` whose name (node.h) starts with `prefix`
  // and sorts after `after`, in name order: the caller merges them over its
  // walk of the directory tree (pending creates replace, unlinks hide).
  virtual Result<std::vector<PendingNode>> Pending(const std::string& top,
                                                   const std::string& prefix,
                                                   const std::string& after) {
    (void)top, (void)prefix, (void)after;
    return std::vector<PendingNode>{};
  }

  // The files answered ops on `at` move away or make (markers) that are not
  // there yet, oldest first; once applied they are at their paths on the
  // filesystem. A caller looks here before it looks on the filesystem.
  virtual Result<std::vector<DisplacedView>> Displaced(const NodePath& at) {
    (void)at;
    return std::vector<DisplacedView>{};
  }

  // Waits until every answered op on the node has reached the filesystem.
  virtual Status WaitNode(const NodePath& at) = 0;
  // Waits until every answered op under the top directory has reached the filesystem.
  virtual Status WaitTop(const std::string& top) = 0;
  // Waits until every answered op has reached the filesystem.
  virtual Status Drain() = 0;
  // JSON for GET /admin/async.
  virtual std::string StatusJson() = 0;
  // Why writes cannot be answered any more (a failed journal sync), or Ok.
  virtual Status WriteHealth() { return Status::Ok(); }
};

}  // namespace fsgate::dirops
