// AsyncNamespace: async dirops over the SyncNamespace, as the CephFS client
// does them with the nowsync mount behaviour.
//
// A create or unlink is answered once its intent is durable in the
// journal (one append + fdatasync shared by concurrent requests) and published
// in the overlay; the applier makes it on disk behind the answer. Find/List
// answer from the overlay first and never wait. An op goes synchronous when
// async is not safe or not possible: sync requested (header), no delegated
// inode, backlog full, a directory node, or pending ops around the name that
// must land first — each counted in fsgate_sync_fallbacks_total{reason}
// (fallback_reason.h). The first create under a directory not yet known
// makes the directory synchronously (without syncs: the intent's replay makes
// it again) and then goes async like the rest.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dirops/applier.h"
#include "dirops/delegated_inodes.h"
#include "dirops/dir_caps.h"
#include "dirops/fallback_reason.h"
#include "dirops/intent_journal.h"
#include "dirops/key_locks.h"
#include "dirops/namespace.h"
#include "dirops/overlay.h"
#include "dirops/sync_namespace.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::dirops {

struct AsyncOptions {
  bool fsync = true;
  JournalOptions journal;
  DelegatedInodeOptions pool;
  ApplierOptions applier;
  // Bounded backlog: beyond either limit new ops go synchronous.
  size_t max_pending_ops = 20000;
  uint64_t max_pending_bytes = 512ull << 20;
  // Each pending streamed (non-inline) create keeps its staging file open for readers.
  size_t max_pending_files = 256;
  // A full backlog makes a new op wait this long at most for room (the
  // applier's back-pressure, Applier::ReserveRoom) before it falls back; 0:
  // falls back at once.
  std::chrono::milliseconds backlog_wait{1000};
  // Apply everything pending when destroyed (false only to simulate a crash).
  bool drain_on_close = true;
  // Where the staging files named by an adopted journal's intents were: the
  // directory moved, with the journal, to pool.dir (the store's legacy_state.h).
  std::string legacy_staging_dir;
  // The xattrs of node attributes (node_attrs.h), named by the caller.
  NodeAttrNames attr_names;
  // Open only replays: no staging sweep, no delegated inodes, no applier
  // started (ReplayAndClose).
  bool replay_only = false;
};

class AsyncNamespace final : public Namespace {
 public:
  // Replays the journal (every answered op is in place when this returns),
  // sweeps the staging directory, and starts the pool and the applier.
  static Result<std::unique_ptr<AsyncNamespace>> Open(fs::Backend& backend, AsyncOptions options,
                                                      metrics::Metrics& metrics);
  // Replays the journal in options.journal.dir and closes it: every live
  // intent applied (staging files under options.pool.dir), made durable and
  // checkpointed, so the journal's next open replays nothing and continues
  // its seqs. Starts no delegated-inode refill and leaves no applier running;
  // the staging directory is not swept (its owner's next Open does that).
  // For a journal whose gateway is not running: a sync-mode start's own, or
  // a dead gateway's adopted by a survivor.
  static Status ReplayAndClose(fs::Backend& backend, AsyncOptions options,
                               metrics::Metrics& metrics);
  ~AsyncNamespace() override;

  Result<StagingFile> AcquireStaging() override;
  void ReleaseStaging(const StagingFile& file) override;
  Result<int64_t> Publish(const NodePath& at, StagedNode node, const WriteCheck& check,
                          OpOptions options) override;
  Status Remove(const NodePath& at, OpOptions options) override;
  // The async unlinks of the batch share one journal write and sync.
  std::vector<Status> RemoveMany(const std::vector<NodePath>& nodes, OpOptions options) override;
  Result<NodeView> Find(const NodePath& at) override;
  Result<std::vector<PendingNode>> Pending(const std::string& top, const std::string& prefix,
                                           const std::string& after) override;
  Result<std::vector<DisplacedView>> Displaced(const NodePath& at) override;
  Status WaitNode(const NodePath& at) override;
  Status WaitTop(const std::string& top) override;
  Status Drain() override;
  std::string StatusJson() override;
  Status WriteHealth() override { return journal_->health(); }

  // For tests: stops the applier where it is, without draining or a last
  // sync, as a crash would (the destructor then leaves everything pending).
  void Abandon();
  size_t overlay_size() const { return overlay_.size(); }
  // Intents the journal still holds live (applied effects not yet durable).
  size_t unretired() const { return journal_->live_count(); }
  size_t delegated_available() const { return pool_->available(); }
  DelegatedInodePool& pool() { return *pool_; }

 private:
  AsyncNamespace(fs::Backend& backend, AsyncOptions options, metrics::Metrics& metrics);
  Status Recover();
  Status SweepStaging();
  // Waits for the pool's first fill when options.pool.fill_before_start (bounded).
  void FillPoolBeforeStart();
  // What the overlay holds at a name's ancestors: any entry (a create or a
  // tombstone), and an answered create among them.
  struct AncestorEntries {
    bool any = false;
    bool create = false;
  };
  AncestorEntries AncestorsInOverlay(const std::string& top, const std::string& name) const;
  // The fallback the caller asked for (OpOptions: shared cap, versioned,
  // nesting for a create, sync header), or nullopt.
  static std::optional<FallbackReason> AskedFallback(OpOptions options, bool create);
  // A create's fallback decided before the backlog's room (asked, a directory
  // object, no delegated inode): known before the name lock, so ReserveRoom
  // asks no room for it.
  static std::optional<FallbackReason> CreateFallbackBeforeRoom(const std::string& name,
                                                                const StagedNode& node,
                                                                OpOptions options);
  // The reason this create cannot go async, or nullopt. Called under the name lock.
  // `room`: the create holds room in the backlog (ReserveRoom).
  std::optional<FallbackReason> CreateFallbackReason(const std::string& top,
                                                     const std::string& name,
                                                     const AncestorEntries& ancestors,
                                                     const StagedNode& node, OpOptions options,
                                                     bool room);
  // Ops that must land before a sync op on `name`: the name, its ancestors, its subtree.
  void WaitAround(const std::string& top, const std::string& name);
  Result<int64_t> PublishSync(const std::string& top, const std::string& name, StagedNode node,
                              const WriteCheck& check, OpOptions options);
  // `room_until`: how long it may wait for room in the backlog.
  Status RemoveName(const std::string& top, const std::string& name, OpOptions options,
                    std::chrono::steady_clock::time_point room_until);
  // The name's current version as answered: the overlay's, else the
  // filesystem's; nullopt when absent or pending unlink. Under the name's lock.
  Result<std::optional<NodeView>> CurrentView(const std::string& top, const std::string& name);
  // Room in the applier's backlog for `ops` ops about to be answered async,
  // waited for until `until` (see AsyncOptions::backlog_wait). Taken before
  // any name lock: the applier may need those locks to make room. None is
  // asked for an op that goes synchronous anyway: `create` says whether
  // it is a create (of `node`) or an unlink.
  Applier::BacklogRoom ReserveRoom(size_t ops, const std::string& name, OpOptions options,
                                   const StagedNode* create,
                                   std::chrono::steady_clock::time_point until);
  std::chrono::steady_clock::time_point RoomDeadline() const;
  // What a DELETE of top/name takes, decided under its name lock: an unlink
  // intent, a sync fallback (`fallback` set), or nothing to do (neither).
  struct UnlinkPlan {
    Status status;
    std::optional<FallbackReason> fallback;
    std::optional<Intent> intent;
    // The file the intent moves away (OpOptions::displace_to), as answered.
    std::optional<NodeView> current;
  };
  // `room`: the unlink holds room in the backlog (ReserveRoom).
  UnlinkPlan PlanUnlink(const std::string& top, const std::string& name, OpOptions options,
                        bool room);
  // Publishes a durable unlink intent: the tombstone (with the files it
  // moves away or makes), then the applier.
  void PublishUnlink(Intent intent, std::optional<NodeView> current);
  // A sync unlink's steps around RemoveName that OpOptions::displace_to,
  // marker and drop ask for.
  Status RemoveKeepingSync(const std::string& top, const std::string& name, OpOptions options);
  // Removes OpOptions::drop (if any) durably.
  Status DropSync(const std::string& drop);
  // Stamps the file a versioned sync create links (OpOptions::versioned)
  // with the journal's next seq, durably: see PublishSync.
  Status StampLaterSeq(const std::string& path);
  // A name the overlay rules out: an answered, pending create of a file where
  // this name needs a directory, or (for a file) of a name beneath it.
  Status AnsweredConflict(const std::string& top, const std::string& name,
                          const AncestorEntries& ancestors) const;
  // How many of the name's directories (from the top down) stand already.
  Result<size_t> CheckParentsOnDisk(const std::string& top, const std::string& name);
  // The directories of `name` below the first `present`: delegated ones
  // renamed into place while the pool has them, then mkdir -p, without syncs.
  Status MakeMissingParents(const std::string& top, const std::string& name, size_t present);

  fs::Backend& backend_;
  const AsyncOptions options_;
  metrics::Metrics& metrics_;
  // The engine's one KeyLocks: this namespace's ops, its sync fallbacks, the
  // applier and the prune all serialize on it (declared before its users).
  KeyLocks locks_;
  SyncNamespace sync_;      // sync fallbacks and reads, fsync per op as configured
  SyncNamespace apply_ns_;  // the applier's: durability comes from its batched syncfs
  Overlay overlay_;
  DirCaps caps_;
  std::unique_ptr<IntentJournal> journal_;
  std::unique_ptr<DelegatedInodePool> pool_;
  std::unique_ptr<Applier> applier_;
  bool abandoned_ = false;
};

}  // namespace fsgate::dirops
