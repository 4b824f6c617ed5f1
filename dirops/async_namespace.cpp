#include "dirops/async_namespace.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "base/clock.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"
#include "store/key_path.h"

namespace fsgate::dirops {

using store::IsDirectoryKey;
using store::ObjectPath;

namespace {

// "a/b/c" -> "a", "a/b".
std::vector<std::string> AncestorKeys(const std::string& key) {
  std::vector<std::string> out;
  for (size_t pos = key.find('/'); pos != std::string::npos && pos + 1 < key.size();
       pos = key.find('/', pos + 1)) {
    out.push_back(key.substr(0, pos));
  }
  return out;
}

}  // namespace

AsyncNamespace::AsyncNamespace(fs::Backend& backend, AsyncOptions options,
                               metrics::Metrics& metrics)
    : backend_(backend),
      options_(std::move(options)),
      metrics_(metrics),
      sync_(backend, locks_, options_.pool.dir, options_.fsync, SyncNamespace::Caller::kRequests),
      apply_ns_(backend, locks_, options_.pool.dir, /*fsync=*/false,
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
  std::unique_ptr<AsyncNamespace> ns(new AsyncNamespace(backend, std::move(options), metrics));
  if (Status s = ns->Recover(); !s.ok()) return s;
  return ns;
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
                                        ", " + in.bucket + "/" + in.key + "): " + s.message());
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
  if (Status s = SweepStaging(); !s.ok()) return s;
  pool_->Start();
  applier_->Start();
  return Status::Ok();
}

// After replay no intent names a staging file: empty delegated files go back to
// the pool, anything else is an abandoned partial write. Generation
// subdirectories (staging_dirs.h) are swept the same way and removed if empty.
Status AsyncNamespace::SweepStaging() {
  size_t adopted = 0, removed = 0;
  auto sweep_file = [&](const std::string& path, const std::string& name) {
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

bool AsyncNamespace::BacklogFull(size_t more) const {
  return applier_->pending() + more >= options_.max_pending_ops ||
         applier_->pending_bytes() >= options_.max_pending_bytes;
}

Status AsyncNamespace::AnsweredConflict(const std::string& bucket, const std::string& key) const {
  bool conflict = false;
  if (IsDirectoryKey(key)) {
    // "a/b/" makes the directory a/b: a pending file "a/b" rules it out.
    auto e = overlay_.Get(bucket, key.substr(0, key.size() - 1));
    conflict = e && !e->tombstone;
  } else {
    conflict = overlay_.HasCreateUnder(bucket, key + "/");
  }
  for (const std::string& a : AncestorKeys(key)) {
    if (conflict) break;
    auto e = overlay_.Get(bucket, a);
    conflict = e && !e->tombstone;
  }
  return conflict ? NameConflict(key) : Status::Ok();
}

std::optional<FallbackReason> AsyncNamespace::CreateFallbackReason(const std::string& bucket,
                                                                   const std::string& key,
                                                                   const StagedObject& object,
                                                                   OpOptions options) {
  if (options.shared_cap) return FallbackReason::kSharedCap;
  if (options.sync) return FallbackReason::kHeader;
  if (IsDirectoryKey(key)) return FallbackReason::kDirectoryObject;
  if (!object.file.delegated) return FallbackReason::kNoDelegatedInode;
  if (BacklogFull()) return FallbackReason::kBacklogFull;
  if (!object.inline_data && applier_->pending_files() >= options_.max_pending_files) {
    return FallbackReason::kBacklogFull;
  }
  const std::string path = ObjectPath(bucket, key);
  // Pending deletes around the key decide whether it can be a file at all:
  // let them land, then create synchronously.
  if (!overlay_.Range(bucket, key + "/", "").empty()) return FallbackReason::kPendingConflict;
  for (const std::string& a : AncestorKeys(key)) {
    if (overlay_.Get(bucket, a)) return FallbackReason::kPendingConflict;
  }
  if (auto st = backend_.Stat(path); st.ok() && st->is_dir) return FallbackReason::kPendingConflict;
  return std::nullopt;
}

void AsyncNamespace::WaitAround(const std::string& bucket, const std::string& key) {
  applier_->WaitKey(bucket, key);
  for (const std::string& a : AncestorKeys(key)) applier_->WaitKey(bucket, a);
  applier_->WaitPrefix(bucket, IsDirectoryKey(key) ? key : key + "/");
  // A directory emptied by those unlinks must not stand where the key goes.
  applier_->PruneNow();
}

// The first create under a directory not known yet: refuse what the directory
// tree already rules out (no bucket; a file where a directory is needed).
Status AsyncNamespace::CheckParentsOnDisk(const std::string& bucket, const std::string& key) {
  auto st = backend_.Stat(bucket);
  if (!st.ok() || !st->is_dir) {
    return BucketDirNotFound();
  }
  for (const std::string& a : AncestorKeys(key)) {
    auto parent = backend_.Stat(ObjectPath(bucket, a));
    if (!parent.ok()) break;  // missing from here on: the applier makes them
    if (!parent->is_dir) return NameConflict(key);
  }
  return Status::Ok();
}

Result<ObjectMeta> AsyncNamespace::PublishSync(const std::string& bucket, const std::string& key,
                                               StagedObject object,
                                               const WriteConditions& conditions,
                                               OpOptions options) {
  WaitAround(bucket, key);
  auto published = sync_.Publish(bucket, key, std::move(object), conditions, options);
  if (published.ok()) {
    const std::string path = ObjectPath(bucket, key);
    if (IsDirectoryKey(key)) caps_.Grant(path);
    caps_.Grant(fs::ParentPath(path));
  }
  return published;
}

Result<ObjectMeta> AsyncNamespace::Publish(const std::string& bucket, const std::string& key,
                                           StagedObject object, const WriteConditions& conditions,
                                           OpOptions options) {
  auto lock = locks_.LockPaths(bucket, {key});
  if (Status s = AnsweredConflict(bucket, key); !s.ok()) return s;
  const std::optional<FallbackReason> reason = CreateFallbackReason(bucket, key, object, options);
  if (reason) metrics_.SyncFallback(FallbackLabel(*reason));
  // A small object refused async for want of a delegated inode or of backlog
  // room is still journaled (its body rides in the record) and answered once
  // applied: a crash between making its directories and linking it then
  // leaves nothing half done. Other fallbacks take the plain sync path.
  const bool journaled_fallback =
      object.inline_data &&
      (reason == FallbackReason::kNoDelegatedInode || reason == FallbackReason::kBacklogFull);
  if (reason && !journaled_fallback) {
    return PublishSync(bucket, key, std::move(object), conditions, options);
  }
  // The first create under a directory is synchronous: answered once applied.
  // It still goes through the journal first, for the same reason.
  const bool parent_unknown = !caps_.Has(fs::ParentPath(ObjectPath(bucket, key)));
  if (parent_unknown) {
    if (!reason) metrics_.SyncFallback(FallbackLabel(FallbackReason::kParentUnknown));
    if (Status s = CheckParentsOnDisk(bucket, key); !s.ok()) return s;
  }
  const bool answer_when_applied = parent_unknown || journaled_fallback;
  if (journaled_fallback && !object.file.delegated && options_.fsync) {
    // A staging file made on the spot: its name must be durable before an
    // intent names it (the pool does this for delegated ones in batches).
    if (Status s = backend_.SyncDir(fs::ParentPath(object.file.path)); !s.ok()) return s;
  }
  if (conditions.if_match || conditions.if_none_match) {
    std::optional<ObjectMeta> current;
    if (auto e = overlay_.Get(bucket, key)) {
      if (!e->tombstone) current = e->meta;
    } else if (auto v = sync_.Find(bucket, key); v.ok()) {
      current = std::move(v->meta);
    } else if (!v.status().Is(StatusCode::kNotFound)) {
      return v.status();
    }
    if (Status s = CheckWriteConditions(current ? &*current : nullptr, conditions); !s.ok()) {
      return s;
    }
  }

  OverlayEntry entry;
  entry.meta = std::move(object.meta);
  if (entry.meta.mtime_ns == 0) entry.meta.mtime_ns = NowNs();
  entry.inline_data = object.inline_data;
  entry.ino = object.file.ino;
  if (!entry.inline_data) {
    // Readers of the pending object read the staging file it will become.
    auto file = backend_.Open(object.file.path, fs::Backend::OpenMode::kRead);
    if (!file.ok()) return file.status();
    entry.file = std::shared_ptr<fs::File>(std::move(*file));
  }

  Intent intent;
  intent.op = IntentOp::kCreate;
  intent.bucket = bucket;
  intent.key = key;
  intent.staging = object.file;
  intent.meta = entry.meta;
  intent.inline_data = object.inline_data;
  if (Status s = journal_->Append(intent); !s.ok()) return s;
  entry.seq = intent.seq;
  ObjectMeta answered = entry.meta;
  overlay_.Put(bucket, key, std::move(entry));
  const uint64_t seq = intent.seq;
  applier_->Enqueue(std::move(intent), /*urgent=*/answer_when_applied);
  if (answer_when_applied) {
    if (Status s = applier_->WaitApplied(bucket, key, seq); !s.ok()) return s;
  }
  return answered;
}

AsyncNamespace::UnlinkPlan AsyncNamespace::PlanUnlink(const std::string& bucket,
                                                      const std::string& key, OpOptions options,
                                                      size_t batched) {
  UnlinkPlan plan;
  if (IsDirectoryKey(key)) {
    plan.fallback = FallbackReason::kDirectoryObject;
    return plan;
  }
  uint64_t target_ino = 0;
  if (auto e = overlay_.Get(bucket, key)) {
    if (e->tombstone) return plan;  // already deleted, as answered
    target_ino = e->ino;
  } else {
    auto st = backend_.Stat(ObjectPath(bucket, key));
    if (!st.ok()) {
      if (!fs::IsMissing(st.status())) plan.status = st.status();
      return plan;
    }
    if (!st->is_regular) return plan;
    target_ino = st->ino;
  }
  if (options.shared_cap) {
    plan.fallback = FallbackReason::kSharedCap;
  } else if (options.sync) {
    plan.fallback = FallbackReason::kHeader;
  } else if (BacklogFull(batched)) {
    plan.fallback = FallbackReason::kBacklogFull;
  } else {
    Intent& intent = plan.intent.emplace();
    intent.op = IntentOp::kUnlink;
    intent.bucket = bucket;
    intent.key = key;
    intent.target_ino = target_ino;
  }
  return plan;
}

void AsyncNamespace::PublishUnlink(Intent intent) {
  OverlayEntry tombstone;
  tombstone.seq = intent.seq;
  tombstone.tombstone = true;
  overlay_.Put(intent.bucket, intent.key, std::move(tombstone));
  applier_->Enqueue(std::move(intent));
}

Status AsyncNamespace::Remove(const std::string& bucket, const std::string& key,
                              OpOptions options) {
  auto lock = locks_.LockPaths(bucket, {key});
  UnlinkPlan plan = PlanUnlink(bucket, key, options, 0);
  if (plan.fallback) {
    metrics_.SyncFallback(FallbackLabel(*plan.fallback));
    applier_->WaitKey(bucket, key);
    // The prune goes to the applier and runs once the key's lock is let go:
    // holding it, the prune could not wait for the locks of the parents.
    const bool prune = options.prune_now;
    options.prune_now = false;
    Status s = sync_.Remove(bucket, key, options);
    if (s.ok() && prune) {
      const std::string path = ObjectPath(bucket, key);
      applier_->PruneLater(bucket, IsDirectoryKey(key) ? path : fs::ParentPath(path));
      lock.clear();
      applier_->PruneNow();
    }
    return s;
  }
  if (!plan.intent) return plan.status;
  if (Status s = journal_->Append(*plan.intent); !s.ok()) return s;
  PublishUnlink(std::move(*plan.intent));
  return Status::Ok();
}

std::vector<Status> AsyncNamespace::RemoveMany(const std::string& bucket,
                                               const std::vector<std::string>& keys,
                                               OpOptions options) {
  std::vector<Status> results(keys.size());
  std::vector<size_t> one_by_one;            // sync fallbacks, each under its own lock later
  std::map<std::string_view, size_t> first;  // a repeated key shares its first's answer
  {
    // Every key's lock from the checks until the tombstones are published, as
    // Remove holds one: the per-key answer order stays the journal's order.
    auto held = locks_.LockPaths(bucket, keys);
    std::vector<Intent> intents;
    std::vector<size_t> owners;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!first.emplace(keys[i], i).second) continue;
      UnlinkPlan plan = PlanUnlink(bucket, keys[i], options, intents.size());
      if (plan.fallback) {
        one_by_one.push_back(i);
      } else if (plan.intent) {
        intents.push_back(std::move(*plan.intent));
        owners.push_back(i);
      } else {
        results[i] = plan.status;
      }
    }
    if (!intents.empty()) {
      if (Status s = journal_->AppendMany(intents); !s.ok()) {
        for (size_t i : owners) results[i] = s;
      } else {
        for (Intent& intent : intents) PublishUnlink(std::move(intent));
      }
    }
  }
  for (size_t i : one_by_one) results[i] = Remove(bucket, keys[i], options);
  for (size_t i = 0; i < keys.size(); ++i) results[i] = results[first.at(keys[i])];
  return results;
}

Result<ObjectVersion> AsyncNamespace::Find(const std::string& bucket, const std::string& key) {
  if (!IsDirectoryKey(key)) {
    if (auto e = overlay_.Get(bucket, key)) {
      if (e->tombstone) return NameNotFound();
      return e->Version();
    }
  }
  return sync_.Find(bucket, key);
}

Result<std::unique_ptr<KeyCursor>> AsyncNamespace::List(const std::string& bucket,
                                                        const std::string& prefix,
                                                        const std::string& marker) {
  OverlayRange pending = overlay_.Range(bucket, prefix, marker);
  auto disk = sync_.List(bucket, prefix, marker);
  if (!disk.ok()) return disk.status();
  return MergeOverlay(std::move(pending), std::move(*disk));
}

Status AsyncNamespace::WaitKey(const std::string& bucket, const std::string& key) {
  applier_->WaitKey(bucket, key);
  return Status::Ok();
}

Status AsyncNamespace::WaitBucket(const std::string& bucket) {
  // Used before a bucket goes away: its directories must be re-verified after.
  caps_.RevokeTree(bucket);
  applier_->WaitBucket(bucket);
  return Status::Ok();
}

Status AsyncNamespace::Drain() {
  applier_->Drain();
  return Status::Ok();
}

std::string AsyncNamespace::StatusJson() { return applier_->StatusJson(); }

}  // namespace fsgate::dirops
