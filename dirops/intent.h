// Intent: one answered namespace change (an async create or unlink), as the
// intent journal records it and the applier carries it out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dirops/namespace.h"

namespace fsgate::dirops {

enum class IntentOp : uint8_t {
  kCreate = 1,
  kUnlink = 2,
  // Journal-internal: every intent with a seq below this record's seq has a
  // durable applied effect, so replay skips them (the MDS journal's expire
  // pointer). Without it a restart would re-apply retired unlinks, and an
  // inode number reused since could match one of them.
  kCheckpoint = 3,
};

struct Intent {
  IntentOp op = IntentOp::kCreate;
  // Assigned by the journal: increases in journal order, and per node in answer order.
  uint64_t seq = 0;
  // The node (node.h): its top directory and its name under it.
  std::string top;
  std::string name;
  // kCreate: the delegated staging file that becomes the node.
  StagingFile staging;
  // kCreate: the caller's blob, written as the node's attributes (node_attrs.h),
  // and the mtime the create was answered with.
  std::string attrs;
  int64_t mtime_ns = 0;
  // kCreate of a small file: the body, which the applier writes into `staging`.
  std::shared_ptr<const std::string> inline_data;
  // kUnlink: inode number of the file the unlink was answered against. Replay
  // unlinks the node only while it still names that file (or an older async create).
  uint64_t target_ino = 0;
  // Where the file the node holds is moved (OpOptions::displace_to), a path
  // relative to the root; empty: none. kCreate: before the new one is linked;
  // kUnlink: instead of its unlink.
  std::string displace_to;
  // kUnlink: the empty file made beside it (OpOptions::marker); empty: none.
  std::string marker;
  // The file removed once the node's change is made (OpOptions::drop).
  std::string drop;

  NodePath node() const { return JoinNode(top, name); }
};

}  // namespace fsgate::dirops
