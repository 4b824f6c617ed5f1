#include "dirops/async_namespace.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "base/clock.h"
#include "dirops/displace.h"
#include "dirops/node_attrs.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {

namespace {

// "a/b/c" -> "a", "a/b".
std::vector<std::string> AncestorNames(const std::string& name) {
  std::vector<std::string> out;
  for (size_t pos = name.find('/'); pos != std::string::npos && pos + 1 < name.size();
       pos = name.find('/', pos + 1)) {
    out.push_back(name.substr(0, pos));
  }
  return out;
}

}  // namespace

AsyncNamespace::AsyncNamespace(fs::Backend& backend, AsyncOptions options,
                               metrics::Metrics& metrics)
    : backend_(backend),
      options_(std::move(options)),
      metrics_(metrics),
      sync_(backend, locks_, options_.pool.dir, options_.fsync, options_.attr_names,
            SyncNamespace::Caller::kRequests),
      apply_ns_(backend, locks_, options_.pool.dir, /*fsync=*/false, options_.attr_names,
                SyncNamespace::Caller::kApplier,
                [this](const std::string& dir) { caps_.Revoke(dir); }) {}

Result<std::unique_ptr<AsyncNamespace>> AsyncNamespace::Open(fs::Backend& backend,
                                                             AsyncOptions options,
                                                             metrics::Metrics& metrics) {
  options.journal.fsync = options.fsync;
  options.pool.fsync = options.fsync;
  options.applier.fsync = options.fsync;
  // Near the bound the backlog is what blocks requests: drain it at normal priority.
  options.applier.urgent_above = options.max_pending_ops * 9 / 10;
  options.applier.bound = {.ops = options.max_pending_ops,
                           .bytes = options.max_pending_bytes,
                           .files = options.max_pending_files};
  if (options.applier.busy_workers == 0) {
    options.applier.busy_workers = backend.BackgroundCallsWhileBusy();
  }
  if (backend.RemoteMetadata()) {
    options.pool.fill_before_start = true;
    // A directory's rename is an MDS op as its mkdir is: nothing to gain.
    options.pool.dir_low_watermark = options.pool.dir_high_watermark = 0;
  }
  std::unique_ptr<AsyncNamespace> ns(new AsyncNamespace(backend, std::move(options), metrics));
  if (Status s = ns->Recover(); !s.ok()) return s;
  return ns;
}

Status AsyncNamespace::ReplayAndClose(fs::Backend& backend, AsyncOptions options,
                                      metrics::Metrics& metrics) {
  options.replay_only = true;
  options.pool.low_watermark = options.pool.high_watermark = 0;
  auto ns = Open(backend, std::move(options), metrics);
  if (!ns.ok()) return ns.status();
  // The checkpoint Recover queued, written and synced now: closing would
  // write it too, but could not say that it failed.
  return (*ns)->journal_->FlushIdle(std::chrono::steady_clock::duration::zero());
}

AsyncNamespace::~AsyncNamespace() {
  if (!abandoned_ && applier_) applier_->Stop(options_.drain_on_close);
}

void AsyncNamespace::Abandon() {
  abandoned_ = true;
  applier_->Stop(/*drain=*/false);
}

Status AsyncNamespace::Recover() {
  if (Status s = fs::MakeDirs(backend_, options_.pool.dir, options_.fsync); !s.ok()) return s;
  std::vector<Intent> live;
  auto journal = IntentJournal::Open(backend_, options_.journal, metrics_, &live);
  if (!journal.ok()) return journal.status();
  journal_ = std::move(*journal);
  pool_ = std::make_unique<DelegatedInodePool>(backend_, options_.pool, metrics_);
  applier_ = std::make_unique<Applier>(backend_, apply_ns_, overlay_, caps_, *journal_, metrics_,
                                       options_.applier);
  std::vector<uint64_t> seqs;
  const std::string legacy_prefix = options_.legacy_staging_dir + "/";
  for (Intent& in : live) {
    if (!options_.legacy_staging_dir.empty() && in.staging.path.starts_with(legacy_prefix)) {
      in.staging.path = options_.pool.dir + in.staging.path.substr(legacy_prefix.size() - 1);
    }
    if (Status s = applier_->Replay(in); !s.ok()) {
      return Status::Errno(s.err(), "replaying the intent journal (seq " + std::to_string(in.seq) +
                                        ", " + in.top + "/" + in.name + "): " + s.message());
    }
    seqs.push_back(in.seq);
  }
  if (!live.empty()) {
    spdlog::info("intent journal: replayed {} answered ops", live.size());
    if (options_.fsync) {
      if (Status s = backend_.SyncFs(); !s.ok()) return s;
    }
  }
  if (Status s = journal_->Retire(seqs); !s.ok()) return s;
  if (options_.replay_only) return Status::Ok();
  if (Status s = SweepStaging(); !s.ok()) return s;
  pool_->Start();
  applier_->Start();
  FillPoolBeforeStart();
  return Status::Ok();
}

void AsyncNamespace::FillPoolBeforeStart() {
  if (!options_.pool.fill_before_start || options_.pool.high_watermark == 0) return;
  const auto start = std::chrono::steady_clock::now();
  const bool filled = pool_->WaitFirstFill(options_.pool.fill_wait);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (filled) {
    spdlog::info("delegated inodes: {} ready before serving ({} ms)", pool_->available(), ms);
  } else {
    spdlog::warn("delegated inodes: {} ready after {} ms; serving with the pool filling",
                 pool_->available(), ms);
  }
}

// After replay no intent names a staging file: empty delegated files go back to
// the pool, anything else is an abandoned partial write. Generation
// subdirectories (staging_dirs.h) are swept the same way and removed if empty.
Status AsyncNamespace::SweepStaging() {
  size_t adopted = 0, removed = 0;
  auto sweep_file = [&](const std::string& path, const std::string& name) {
    if (name.starts_with(kDelegatedDirPrefix)) {
      // Empty unless renamed out: the pool makes new ones.
      if (backend_.Rmdir(path).ok()) ++removed;
      return;
    }
    if (name.starts_with(kDelegatedPrefix)) {
      auto file = backend_.Open(path, fs::Backend::OpenMode::kRead);
      if (file.ok()) {
        auto st = (*file)->Stat();
        auto xattrs = (*file)->ListXattrs();
        if (st.ok() && st->is_regular && st->size == 0 && xattrs.ok() && xattrs->empty()) {
          pool_->Adopt({path, st->ino, true});
          ++adopted;
          return;
        }
      }
    }
    if (backend_.Unlink(path).ok()) ++removed;
  };
  auto entries = backend_.ReadDir(options_.pool.dir);
  if (!entries.ok()) return entries.status();
  for (const fs::DirEntry& e : *entries) {
    const std::string path = options_.pool.dir + "/" + e.name;
    if (!e.name.starts_with(kStagingGenerationPrefix)) {
      sweep_file(path, e.name);
      continue;
    }
    auto files = backend_.ReadDir(path);
    if (!files.ok()) continue;  // not a directory after all: left alone
    for (const fs::DirEntry& f : *files) sweep_file(path + "/" + f.name, f.name);
    (void)backend_.Rmdir(path);  // refused while it holds adopted files
  }
  if (adopted + removed > 0) {
    spdlog::info("staging: {} delegated inodes back in the pool, {} abandoned files removed",
                 adopted, removed);
  }
  return Status::Ok();
}

Result<StagingFile> AsyncNamespace::AcquireStaging() {
  if (auto file = pool_->Acquire()) return *file;
  return sync_.AcquireStaging();
}

void AsyncNamespace::ReleaseStaging(const StagingFile& file) { sync_.ReleaseStaging(file); }

std::chrono::steady_clock::time_point AsyncNamespace::RoomDeadline() const {
  return std::chrono::steady_clock::now() + options_.backlog_wait;
}

std::optional<FallbackReason> AsyncNamespace::AskedFallback(OpOptions options, bool create) {
  if (options.shared_cap) return FallbackReason::kSharedCap;
  if (options.versioned) return FallbackReason::kVersioned;
  if (create && options.nesting) return FallbackReason::kKeyNest;
  if (options.sync) return FallbackReason::kHeader;
  return std::nullopt;
}

std::optional<FallbackReason> AsyncNamespace::CreateFallbackBeforeRoom(const std::string& name,
                                                                       const StagedNode& node,
                                                                       OpOptions options) {
  if (auto asked = AskedFallback(options, /*create=*/true)) return asked;
  if (IsDirName(name)) return FallbackReason::kDirectoryObject;
  if (!node.file.delegated) return FallbackReason::kNoDelegatedInode;
  return std::nullopt;
}

Applier::BacklogRoom AsyncNamespace::ReserveRoom(size_t ops, const std::string& name,
                                                 OpOptions options, const StagedNode* create,
                                                 std::chrono::steady_clock::time_point until) {
  // An op that falls back before the backlog is asked about needs no room.
  if (create != nullptr ? CreateFallbackBeforeRoom(name, *create, options).has_value()
                        : IsDirName(name) || AskedFallback(options, /*create=*/false)) {
    return {};
  }
  return applier_->ReserveRoom(ops, create != nullptr && !create->inline_data, until);
}

AsyncNamespace::AncestorEntries AsyncNamespace::AncestorsInOverlay(const std::string& top,
                                                                   const std::string& name) const {
  AncestorEntries found;
  for (const std::string& a : AncestorNames(name)) {
    auto e = overlay_.Get(top, a);
    if (!e) continue;
    found.any = true;
    if (!e->tombstone) {
      found.create = true;
      break;
    }
  }
  return found;
}

Status AsyncNamespace::AnsweredConflict(const std::string& top, const std::string& name,
                                        const AncestorEntries& ancestors) const {
  bool conflict = false;
  if (IsDirName(name)) {
    // "a/b/" makes the directory a/b: a pending file "a/b" rules it out.
    auto e = overlay_.Get(top, name.substr(0, name.size() - 1));
    conflict = e && !e->tombstone;
  } else {
    conflict = overlay_.HasCreateUnder(top, name + "/");
  }
  return conflict || ancestors.create ? NameConflict(name) : Status::Ok();
}

std::optional<FallbackReason> AsyncNamespace::CreateFallbackReason(const std::string& top,
                                                                   const std::string& name,
                                                                   const AncestorEntries& ancestors,
                                                                   const StagedNode& node,
                                                                   OpOptions options, bool room) {
  if (auto reason = CreateFallbackBeforeRoom(name, node, options)) return reason;
  if (!room) return FallbackReason::kBacklogFull;
  const std::string path = NodeFsPath(top, name);
  // Pending deletes around the name decide whether it can be a file at all:
  // let them land, then create synchronously.
  if (ancestors.any || !overlay_.Range(top, name + "/", "").empty()) {
    return FallbackReason::kPendingConflict;
  }
  if (auto st = backend_.StatNoTimes(path); st.ok() && st->is_dir) {
    return FallbackReason::kPendingConflict;
  }
  return std::nullopt;
}

void AsyncNamespace::WaitAround(const std::string& top, const std::string& name) {
  applier_->WaitKey(top, name);
  for (const std::string& a : AncestorNames(name)) applier_->WaitKey(top, a);
  applier_->WaitPrefix(top, IsDirName(name) ? name : name + "/");
  // A directory emptied by those unlinks must not stand where the name goes,
  // though another thread's prune pass holds it.
  if (IsDirName(name)) {
    applier_->PruneNow();
  } else {
    applier_->PruneNow(top, NodeFsPath(top, name));
  }
}

// The first create under a directory not known yet: refuse what the directory
// tree already rules out (no top; a file where a directory is needed). Checked
// under the name's lock, which holds every ancestor's name shared: no create
// of a file at an ancestor can come between this and the directories' making.
Result<size_t> AsyncNamespace::CheckParentsOnDisk(const std::string& top, const std::string& name) {
  auto st = backend_.Stat(top);
  if (!st.ok() || !st->is_dir) {
    return TopDirNotFound();
  }
  size_t present = 0;
  for (const std::string& a : AncestorNames(name)) {
    auto parent = backend_.Stat(NodeFsPath(top, a));
    if (!parent.ok()) break;  // missing from here on
    if (!parent->is_dir) return NameConflict(name);
    ++present;
  }
  return present;
}

Status AsyncNamespace::MakeMissingParents(const std::string& top, const std::string& name,
                                          size_t present) {
  const std::vector<std::string> ancestors = AncestorNames(name);
  size_t made = present;
  for (; made < ancestors.size(); ++made) {
    std::optional<std::string> delegated = pool_->AcquireDir();
    if (!delegated) break;
    Status s = backend_.RenameNoReplace(*delegated, NodeFsPath(top, ancestors[made]));
    if (!s.ok()) {
      // There already (a concurrent first create made it), or anything else:
      // mkdir -p from here says which, with the sync path's errors.
      pool_->ReturnDir(std::move(*delegated));
      break;
    }
  }
  if (made == ancestors.size()) return Status::Ok();
  return apply_ns_.MakeParentDirs(top, name);
}

Result<int64_t> AsyncNamespace::PublishSync(const std::string& top, const std::string& name,
                                            StagedNode node, const WriteCheck& check,
                                            OpOptions options /*synchronous here*/) {
  WaitAround(top, name);
  const std::string path = NodeFsPath(top, name);
  Displacement displaced = Displacement::kNothing;
  if (!options.displace_to.empty() && !IsDirName(name)) {
    // Durable at its new path before the new file replaces it (displace.h).
    auto moved = DisplaceFile(backend_, path, options.displace_to, options_.fsync);
    if (!moved.ok()) return moved.status();
    displaced = *moved;
  }
  if (options.versioned && !IsDirName(name) && !node.inline_data) {
    if (Status s = StampLaterSeq(node.file.path); !s.ok()) {
      UndoDisplace(backend_, path, options.displace_to, displaced);
      return s;
    }
  }
  auto published =
      sync_.PublishLinked(top, name, std::move(node), check, nullptr, options.no_replace);
  if (!published.ok()) UndoDisplace(backend_, path, options.displace_to, displaced);
  if (!published.ok()) return published;
  if (IsDirName(name)) caps_.Grant(path);
  caps_.Grant(fs::ParentPath(path));
  if (Status s = DropSync(options.drop); !s.ok()) return s;
  return published;
}

Result<int64_t> AsyncNamespace::Publish(const NodePath& at, StagedNode node,
                                        const WriteCheck& check, OpOptions options) {
  applier_->NoteRequest();
  auto [top, name] = SplitNode(at);
  const Applier::BacklogRoom room = ReserveRoom(1, name, options, &node, RoomDeadline());
  auto lock = locks_.LockPaths(top, {name});
  // The overlay's entries at the ancestors, looked up once for both checks.
  const AncestorEntries ancestors = AncestorsInOverlay(top, name);
  if (Status s = AnsweredConflict(top, name, ancestors); !s.ok()) return s;
  const std::optional<FallbackReason> reason =
      CreateFallbackReason(top, name, ancestors, node, options, room.granted());
  if (reason) metrics_.SyncFallback(FallbackLabel(*reason));
  // A small file refused async for want of a delegated inode or of backlog
  // room is still journaled (its body rides in the record) and answered once
  // applied: a crash between making its directories and linking it then
  // leaves nothing half done. Other fallbacks take the plain sync path.
  const bool journaled_fallback =
      node.inline_data &&
      (reason == FallbackReason::kNoDelegatedInode || reason == FallbackReason::kBacklogFull);
  if (reason && !journaled_fallback) {
    return PublishSync(top, name, std::move(node), check, options);
  }
  // The first create under a directory this gateway does not know yet: what
  // the tree rules out is refused now, and (below, once nothing else can
  // refuse the create) its directories are made synchronously, as a CephFS
  // client's mkdir is a synchronous MDS op; the directory is then known and
  // the create goes async like any other.
  const std::string parent = fs::ParentPath(NodeFsPath(top, name));
  const bool parent_unknown = !caps_.Has(parent);
  size_t parents_present = 0;
  if (parent_unknown) {
    auto present = CheckParentsOnDisk(top, name);
    if (!present.ok()) return present.status();
    parents_present = *present;
  }
  const bool answer_when_applied = journaled_fallback;
  if (journaled_fallback && !node.file.delegated && options_.fsync) {
    // A staging file made on the spot: its name must be durable before an
    // intent names it (the pool does this for delegated ones in batches).
    if (Status s = backend_.SyncDir(fs::ParentPath(node.file.path)); !s.ok()) return s;
  }
  const bool displacing = !options.displace_to.empty();
  std::optional<NodeView> current;
  if (check || displacing) {
    auto found = CurrentView(top, name);
    if (!found.ok()) return found.status();
    current = std::move(*found);
  }
  if (check) {
    if (Status s = check(current ? &*current : nullptr); !s.ok()) return s;
  }

  OverlayEntry entry;
  entry.attrs = std::move(node.attrs);
  entry.size = node.size;
  entry.mtime_ns = node.mtime_ns != 0 ? node.mtime_ns : NowNs();
  entry.inline_data = node.inline_data;
  entry.ino = node.file.ino;
  if (!entry.inline_data) {
    // Readers of the pending file read the staging file it will become.
    auto file = backend_.Open(node.file.path, fs::Backend::OpenMode::kRead);
    if (!file.ok()) return file.status();
    entry.file = std::shared_ptr<fs::File>(std::move(*file));
  }

  Intent intent;
  intent.op = IntentOp::kCreate;
  intent.top = top;
  intent.name = name;
  intent.staging = node.file;
  intent.attrs = entry.attrs;
  intent.mtime_ns = entry.mtime_ns;
  intent.inline_data = node.inline_data;
  // Nothing at the name (as answered): nothing to move. Otherwise what the
  // name holds when the applier reaches this op is `current`: the ops before
  // it on the name apply first.
  if (displacing && current) intent.displace_to = options.displace_to;
  intent.drop = options.drop;
  // Made without syncs: the intent's replay makes them again, and the syncfs
  // that retires the intent covers them. A crash before the append leaves
  // them empty (listings skip them; the start after an unclean stop sweeps
  // them). 4 KiB PUTs each under a new directory, 1 connection, fsync on
  // (`fsgate_load --keys-per-dir 1`, interleaved): answered once applied,
  // 1,838-2,167/s, p50 0.40-0.49 ms; made here with mkdir, no better (the
  // mkdir was most of the apply); with delegated directories, 2,773-2,822/s,
  // p50 0.33 ms (a create in a known directory: ~3,100/s, 0.31 ms).
  const bool made_parents = parent_unknown && !answer_when_applied;
  if (made_parents) {
    if (Status s = MakeMissingParents(top, name, parents_present); !s.ok()) return s;
    caps_.Grant(parent);
  }
  if (Status s = journal_->Append(intent); !s.ok()) {
    if (made_parents) applier_->PruneLater(top, parent);
    return s;
  }
  entry.seq = intent.seq;
  const int64_t answered = entry.mtime_ns;
  std::vector<DisplacedNode> moved;
  if (!intent.displace_to.empty()) moved.push_back({intent.displace_to, intent.seq, *current});
  overlay_.Put(top, name, std::move(entry), std::move(moved));
  if (answer_when_applied) {
    if (Status s = applier_->ApplyNow(std::move(intent)); !s.ok()) return s;
  } else {
    applier_->Enqueue(std::move(intent));
  }
  return answered;
}

AsyncNamespace::UnlinkPlan AsyncNamespace::PlanUnlink(const std::string& top,
                                                      const std::string& name, OpOptions options,
                                                      bool room) {
  UnlinkPlan plan;
  if (IsDirName(name)) {
    plan.fallback = FallbackReason::kDirectoryObject;
    return plan;
  }
  // The caller keeps what the name holds: the intent needs its view, and
  // with nothing there the marker is still made, synchronously.
  const bool keeping = !options.displace_to.empty() || !options.marker.empty();
  uint64_t target_ino = 0;
  if (auto e = overlay_.Get(top, name)) {
    if (e->tombstone) {
      if (keeping) plan.fallback = FallbackReason::kVersioned;
      return plan;  // already deleted, as answered
    }
    target_ino = e->ino;
    if (keeping) plan.current = e->View();
  } else if (keeping) {
    auto view = sync_.FindName(top, name);
    if (!view.ok()) {
      if (view.status().Is(StatusCode::kNotFound)) {
        plan.fallback = FallbackReason::kVersioned;
      } else {
        plan.status = view.status();
      }
      return plan;
    }
    target_ino = view->ino;
    plan.current = std::move(*view);
  } else {
    auto st = backend_.StatNoTimes(NodeFsPath(top, name));
    if (!st.ok()) {
      if (!fs::IsMissing(st.status())) plan.status = st.status();
      return plan;
    }
    if (!st->is_regular) return plan;
    target_ino = st->ino;
  }
  if (auto asked = AskedFallback(options, /*create=*/false)) {
    plan.fallback = asked;
  } else if (!room) {
    plan.fallback = FallbackReason::kBacklogFull;
  } else {
    Intent& intent = plan.intent.emplace();
    intent.op = IntentOp::kUnlink;
    intent.top = top;
    intent.name = name;
    intent.target_ino = target_ino;
    intent.displace_to = options.displace_to;
    intent.marker = options.marker;
    intent.drop = options.drop;
  }
  return plan;
}

void AsyncNamespace::PublishUnlink(Intent intent, std::optional<NodeView> current) {
  OverlayEntry tombstone;
  tombstone.seq = intent.seq;
  tombstone.tombstone = true;
  std::vector<DisplacedNode> kept;
  if (!intent.displace_to.empty() && current) {
    kept.push_back({intent.displace_to, intent.seq, std::move(*current)});
  }
  if (!intent.marker.empty()) {
    NodeView mark;
    mark.mtime_ns = NowNs();
    kept.push_back({intent.marker, intent.seq, std::move(mark)});
  }
  overlay_.Put(intent.top, intent.name, std::move(tombstone), std::move(kept));
  applier_->Enqueue(std::move(intent));
}

Status AsyncNamespace::RemoveKeepingSync(const std::string& top, const std::string& name,
                                         OpOptions options) {
  const std::string path = NodeFsPath(top, name);
  if (Status s =
          KeepBeforeUnlink(backend_, path, options.displace_to, options.marker, options_.fsync);
      !s.ok()) {
    return s;
  }
  if (Status s = sync_.RemoveName(top, name, options); !s.ok()) return s;
  return DropSync(options.drop);
}

// A versioned sync create may link an older file again (the store brings a
// version back from its history by renaming it over the name): the very
// inode an unlink intent was answered against, its seq older than that
// intent's. Applied (WaitAround) but not yet retired, the unlink would be
// replayed after a crash and remove it again, since replay unlinks the file
// it was answered against unless a later create stamped it
// (applier_apply.cpp): a DELETE, then a DELETE of its marker by version id,
// then kill -9 lost the object in 6 runs of 6. Stamped with the journal's
// next seq, the file is later than every intent answered before this op,
// and a DELETE answered after it still removes it.
Status AsyncNamespace::StampLaterSeq(const std::string& path) {
  auto file = backend_.Open(path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  auto attrs = ReadFileAttrs(**file, options_.attr_names);
  if (!attrs.ok()) return attrs.status();
  if (!attrs->has_value()) return (*file)->Close();
  Status s = WriteFileAttrs(**file, options_.attr_names, (*attrs)->blob, journal_->next_seq());
  // Durable before the link: a cut must not keep the name without the stamp.
  if (s.ok() && options_.fsync) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  return s;
}

Status AsyncNamespace::DropSync(const std::string& drop) {
  if (drop.empty()) return Status::Ok();
  if (Status s = DropFile(backend_, drop); !s.ok()) return s;
  return options_.fsync ? backend_.SyncDir(fs::ParentPath(drop)) : Status::Ok();
}

Status AsyncNamespace::Remove(const NodePath& at, OpOptions options) {
  applier_->NoteRequest();
  auto [top, name] = SplitNode(at);
  return RemoveName(top, name, options, RoomDeadline());
}

Result<std::optional<NodeView>> AsyncNamespace::CurrentView(const std::string& top,
                                                            const std::string& name) {
  if (auto e = overlay_.Get(top, name)) {
    if (e->tombstone) return std::optional<NodeView>();
    return std::optional<NodeView>(e->View());
  }
  auto v = sync_.FindName(top, name);
  if (v.ok()) return std::optional<NodeView>(std::move(*v));
  if (v.status().Is(StatusCode::kNotFound)) return std::optional<NodeView>();
  return v.status();
}

Status AsyncNamespace::RemoveName(const std::string& top, const std::string& name,
                                  OpOptions options,
                                  std::chrono::steady_clock::time_point room_until) {
  const Applier::BacklogRoom room = ReserveRoom(1, name, options, nullptr, room_until);
  auto lock = locks_.LockPaths(top, {name});
  if (options.remove_check != nullptr) {
    auto current = CurrentView(top, name);
    if (!current.ok()) return current.status();
    if (Status s = (*options.remove_check)(*current ? &**current : nullptr); !s.ok()) return s;
    options.remove_check = nullptr;  // held: a sync fallback below need not read it again
  }
  UnlinkPlan plan = PlanUnlink(top, name, options, room.granted());
  if (plan.fallback) {
    metrics_.SyncFallback(FallbackLabel(*plan.fallback));
    applier_->WaitKey(top, name);
    // The prune goes to the applier and runs once the name's lock is let go:
    // holding it, the prune could not wait for the locks of the parents.
    const bool prune = options.prune_now;
    options.prune_now = false;
    Status s = RemoveKeepingSync(top, name, options);
    if (s.ok() && prune) {
      const std::string path = NodeFsPath(top, name);
      applier_->PruneLater(top, IsDirName(name) ? path : fs::ParentPath(path));
      lock.clear();
      applier_->PruneNow();
    }
    return s;
  }
  if (!plan.intent) return plan.status;
  if (Status s = journal_->Append(*plan.intent); !s.ok()) return s;
  PublishUnlink(std::move(*plan.intent), std::move(plan.current));
  return Status::Ok();
}

std::vector<Status> AsyncNamespace::RemoveMany(const std::vector<NodePath>& nodes,
                                               OpOptions options) {
  std::vector<Status> results(nodes.size());
  if (nodes.empty()) return results;
  applier_->NoteRequest();
  const std::string top = SplitNode(nodes.front()).first;
  std::vector<std::string> names;
  names.reserve(nodes.size());
  for (const NodePath& node : nodes) names.push_back(SplitNode(node).second);
  std::vector<size_t> one_by_one;            // sync fallbacks, each under its own lock later
  std::map<std::string_view, size_t> first;  // a repeated name shares its first's answer
  // One wait for room for the whole batch (a fallback below does not wait again).
  const auto room_until = RoomDeadline();
  {
    const Applier::BacklogRoom room = ReserveRoom(names.size(), "", options, nullptr, room_until);
    // Every name's lock from the checks until the tombstones are published, as
    // Remove holds one: the per-name answer order stays the journal's order.
    auto held = locks_.LockPaths(top, names);
    std::vector<Intent> intents;
    std::vector<std::optional<NodeView>> currents;
    std::vector<size_t> owners;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!first.emplace(names[i], i).second) continue;
      UnlinkPlan plan = PlanUnlink(top, names[i], options, room.granted());
      if (plan.fallback) {
        one_by_one.push_back(i);
      } else if (plan.intent) {
        intents.push_back(std::move(*plan.intent));
        currents.push_back(std::move(plan.current));
        owners.push_back(i);
      } else {
        results[i] = plan.status;
      }
    }
    if (!intents.empty()) {
      if (Status s = journal_->AppendMany(intents); !s.ok()) {
        for (size_t i : owners) results[i] = s;
      } else {
        for (size_t j = 0; j < intents.size(); ++j) {
          PublishUnlink(std::move(intents[j]), std::move(currents[j]));
        }
      }
    }
  }
  for (size_t i : one_by_one) results[i] = RemoveName(top, names[i], options, room_until);
  for (size_t i = 0; i < names.size(); ++i) results[i] = results[first.at(names[i])];
  return results;
}

Result<NodeView> AsyncNamespace::Find(const NodePath& at) {
  applier_->NoteRequest();
  auto [top, name] = SplitNode(at);
  if (!IsDirName(name)) {
    if (auto e = overlay_.Get(top, name)) {
      if (e->tombstone) return NameNotFound();
      return e->View();
    }
  }
  return sync_.FindName(top, name);
}

Result<std::vector<PendingNode>> AsyncNamespace::Pending(const std::string& top,
                                                         const std::string& prefix,
                                                         const std::string& after) {
  applier_->NoteRequest();
  return PendingNodes(overlay_.Range(top, prefix, after));
}

Result<std::vector<DisplacedView>> AsyncNamespace::Displaced(const NodePath& at) {
  auto [top, name] = SplitNode(at);
  std::vector<DisplacedView> out;
  for (DisplacedNode& d : overlay_.Displaced(top, name)) {
    out.emplace_back(std::move(d.path), std::move(d.view));
  }
  return out;
}

Status AsyncNamespace::WaitNode(const NodePath& at) {
  auto [top, name] = SplitNode(at);
  applier_->WaitKey(top, name);
  return Status::Ok();
}

Status AsyncNamespace::WaitTop(const std::string& top) {
  // Used before a top goes away: its directories must be re-verified after.
  caps_.RevokeTree(top);
  applier_->WaitTop(top);
  return Status::Ok();
}

Status AsyncNamespace::Drain() {
  applier_->Drain();
  return Status::Ok();
}

std::string AsyncNamespace::StatusJson() { return applier_->StatusJson(); }

}  // namespace fsgate::dirops
