// Why an async create or unlink went synchronous. Each reason is counted as a
// label value of fsgate_sync_fallbacks_total{reason} (label values are part of
// the metrics interface), and two of them also decide how the op is made: a
// small file refused for want of a delegated inode or of backlog room is
// still journaled (AsyncNamespace::Publish).
#pragma once

#include <string_view>

namespace fsgate::dirops {

enum class FallbackReason {
  kHeader,            // the request asked for a sync op (x-fsgate-dirops: sync)
  kDirectoryObject,   // "name/": its directory is made or emptied in place
  kNoDelegatedInode,  // the staging pool was empty
  kBacklogFull,       // pending ops, bytes or open staging files at their bound
  kPendingConflict,   // pending ops around the name must land first
  kSharedCap,         // the bucket's cap is shared with another gateway (bucket_caps.h)
  kVersioned,         // the bucket keeps older versions (OpOptions::versioned)
  kKeyNest,           // a file moved into the directory of its name (OpOptions::nesting)
};

// The metric label of `reason`.
constexpr std::string_view FallbackLabel(FallbackReason reason) {
  switch (reason) {
    case FallbackReason::kHeader:
      return "header";
    case FallbackReason::kDirectoryObject:
      return "directory_object";
    case FallbackReason::kNoDelegatedInode:
      return "no_delegated_inode";
    case FallbackReason::kBacklogFull:
      return "backlog_full";
    case FallbackReason::kPendingConflict:
      return "pending_conflict";
    case FallbackReason::kSharedCap:
      return "shared_cap";
    case FallbackReason::kVersioned:
      return "versioned";
    case FallbackReason::kKeyNest:
      return "key_nest";
  }
  return "unknown";
}

}  // namespace fsgate::dirops
