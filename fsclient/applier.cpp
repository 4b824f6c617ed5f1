#include "fsclient/applier.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "base/log_text.h"
#include "base/thread_priority.h"
#include "fs/backend_util.h"
#include "fsclient/key_path.h"
#include "fsclient/object_io.h"
#include "fsclient/object_meta_codec.h"
#include "metrics/errno_name.h"
#include "metrics/metrics.h"

namespace fsgate::fsclient {
namespace {

metrics::AsyncOp MetricOp(IntentOp op) {
  return op == IntentOp::kCreate ? metrics::AsyncOp::kCreate : metrics::AsyncOp::kUnlink;
}

const char* OpName(IntentOp op) { return op == IntentOp::kCreate ? "create" : "unlink"; }

// Errors that may pass: the op is tried again. Everything else (a key conflict,
// a missing bucket, EROFS, EACCES, ...) will not get better by waiting.
bool Retryable(const Status& s) {
  switch (s.err()) {
    case EIO:
    case ENOSPC:
    case EDQUOT:
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ENOMEM:
    case ETIMEDOUT:
    case ESTALE:
      return true;
    default:
      return false;
  }
}

// The errno a permanent failure is counted under; S3-level refusals get the
// errno the filesystem would have given.
int FailureErrno(const Status& s) {
  if (s.err() != 0) return s.err();
  if (s.Is(s3err::kNoSuchBucket)) return ENOENT;
  if (s.Is(kKeyConflictCode)) return ENOTDIR;
  return EINVAL;
}

// Readies the staging file in one open before it is linked: the body and its
// metadata when they rode in the journal, the create's seq stamp, and the
// LastModified the PUT was answered with (so it does not move when applied).
Status PrepareStaging(fs::Backend& backend, const Intent& in) {
  auto file = backend.Open(in.staging.path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  Status s = in.inline_data ? WriteInlineBody(**file, *in.inline_data, in.meta, in.seq)
                            : WriteObjectMeta(**file, in.meta, in.seq);
  if (!s.ok()) return s;
  if (Status s = (*file)->SetMtime(in.meta.mtime_ns); !s.ok()) return s;
  return (*file)->Close();
}

}  // namespace

Applier::Applier(fs::Backend& backend, SyncNamespace& apply_ns, Overlay& overlay, DirCaps& caps,
                 IntentJournal& journal, metrics::Metrics& metrics, ApplierOptions options)
    : backend_(backend),
      apply_ns_(apply_ns),
      overlay_(overlay),
      caps_(caps),
      journal_(journal),
      metrics_(metrics),
      options_(options) {}

Applier::~Applier() { Stop(/*drain=*/false); }

void Applier::Start() {
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(/*urgent=*/false); });
  }
  for (int i = 0; i < options_.urgent_workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(/*urgent=*/true); });
  }
  syncer_ = std::thread([this] { SyncLoop(); });
}

void Applier::Stop(bool drain) {
  if (drain) Drain();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  urgent_work_.notify_all();
  done_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  {
    std::lock_guard lock(mu_);
    // Without a drain this is a crash as far as the filesystem can tell: no
    // last syncfs, the journal keeps every intent not yet retired.
    if (!drain) applied_.clear();
    sync_stop_ = true;
  }
  sync_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
}

void Applier::Enqueue(Intent intent, bool urgent) {
  const IntentOp op = intent.op;
  const uint64_t bytes = intent.inline_data ? intent.inline_data->size() : 0;
  {
    std::lock_guard lock(mu_);
    KeyQueue& q = queues_[intent.bucket][intent.key];
    const bool idle = q.ops.empty() && !q.busy;
    q.ops.push_back({std::move(intent), std::chrono::steady_clock::now()});
    const Intent& in = q.ops.back().intent;
    ++pending_;
    ++pending_by_op_[op == IntentOp::kCreate ? 0 : 1];
    pending_bytes_ += bytes;
    if (op == IntentOp::kCreate && !in.inline_data) ++pending_files_;
    if (idle) {
      q.urgent = urgent;
      QueueTurnLocked(in.bucket, in.key, q);
    } else if (urgent) {
      PromoteLocked(in.bucket, in.key);
    } else if (BacklogHighLocked()) {
      urgent_work_.notify_one();  // the backlog grew past the mark: help with it
    }
  }
  metrics_.AddAsyncPending(MetricOp(op), +1);
}

void Applier::QueueTurnLocked(const std::string& bucket, const std::string& key,
                              const KeyQueue& q) {
  if (q.urgent) {
    urgent_ready_.emplace_back(bucket, key);
    urgent_work_.notify_one();
    return;
  }
  ready_.emplace_back(bucket, key);
  work_.notify_one();
  if (broad_waiters_ > 0 || BacklogHighLocked()) urgent_work_.notify_one();
}

// A caller blocked on done_. One waiting for a single key keeps that key
// promoted; a broad one (a prefix, a bucket, a drain) has the urgent workers
// take the whole backlog until it is done.
class Applier::Waiter {
 public:
  Waiter(Applier& applier, bool broad) : applier_(applier), broad_(broad) {
    ++applier_.waiters_;
    if (broad_ && applier_.broad_waiters_++ == 0) applier_.urgent_work_.notify_all();
  }
  ~Waiter() {
    --applier_.waiters_;
    if (broad_) --applier_.broad_waiters_;
  }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

 private:
  Applier& applier_;  // its mu_ is held whenever this changes the counts
  const bool broad_;
};

bool Applier::BacklogHighLocked() const {
  return options_.urgent_above > 0 && pending_ >= options_.urgent_above;
}

bool Applier::HasWorkLocked(bool urgent) const {
  if (stop_) return true;
  if (!urgent) return !ready_.empty();
  return !urgent_ready_.empty() || ((broad_waiters_ > 0 || BacklogHighLocked()) && !ready_.empty());
}

void Applier::WorkerLoop(bool urgent) {
  NameThread(urgent ? "fsg-apply-urg" : "fsg-apply");
  if (!urgent) LowerThreadPriority();
  std::condition_variable& wake = urgent ? urgent_work_ : work_;
  std::unique_lock lock(mu_);
  for (;;) {
    wake.wait(lock, [&] { return HasWorkLocked(urgent); });
    if (stop_) return;
    auto& from = urgent && !urgent_ready_.empty() ? urgent_ready_ : ready_;
    auto [bucket, key] = std::move(from.front());
    from.pop_front();
    KeyQueue& q = queues_[bucket][key];
    q.busy = true;
    q.urgent = false;
    const Op op = q.ops.front();
    lock.unlock();

    Status last;
    int attempts = 0;
    const Outcome outcome = ApplyWithRetries(op, &last, &attempts);
    const std::chrono::duration<double> lag = std::chrono::steady_clock::now() - op.answered;
    if (outcome == Outcome::kApplied) {
      overlay_.Resolve(bucket, key, op.intent.seq);
      metrics_.AsyncApplied(MetricOp(op.intent.op), true, lag.count());
    } else if (outcome == Outcome::kFailed) {
      RecordFailure(op.intent, last, attempts);
      metrics_.AsyncApplied(MetricOp(op.intent.op), false, lag.count());
    }

    lock.lock();
    KeyQueue& queue = queues_[bucket][key];
    queue.busy = false;
    if (outcome == Outcome::kStopped) return;  // the op stays in the journal
    queue.ops.pop_front();
    --pending_;
    --pending_by_op_[op.intent.op == IntentOp::kCreate ? 0 : 1];
    pending_bytes_ -= op.intent.inline_data ? op.intent.inline_data->size() : 0;
    if (op.intent.op == IntentOp::kCreate && !op.intent.inline_data) --pending_files_;
    if (!queue.ops.empty()) {
      QueueTurnLocked(bucket, key, queue);
    } else {
      auto b = queues_.find(bucket);
      b->second.erase(key);
      if (b->second.empty()) queues_.erase(b);
    }
    applied_.push_back(op.intent.seq);
    metrics_.AddAsyncPending(MetricOp(op.intent.op), -1);
    // The syncer waits for the first applied op of a batch; later ones only
    // join the batch (waking it for each cost a context switch per op).
    if (applied_.size() == 1) sync_wake_.notify_one();
    if (waiters_ > 0) done_.notify_all();
  }
}

Applier::Outcome Applier::ApplyWithRetries(const Op& op, Status* last, int* attempts) {
  auto backoff = options_.backoff;
  for (int attempt = 1;; ++attempt) {
    *attempts = attempt;
    *last = ApplyOnce(op.intent);
    if (last->ok()) return Outcome::kApplied;
    if (!Retryable(*last) || attempt >= options_.max_attempts) return Outcome::kFailed;
    spdlog::warn("async {}: apply of bucket={} key={} failed (errno={} {}), retry {} in {} ms",
                 OpName(op.intent.op), LogField(op.intent.bucket), LogField(op.intent.key),
                 last->err(), LogText(last->message()), attempt, backoff.count());
    std::unique_lock lock(mu_);
    if (work_.wait_for(lock, backoff, [&] { return stop_; })) return Outcome::kStopped;
    backoff *= 2;
  }
}

Status Applier::ApplyOnce(const Intent& intent) {
  return intent.op == IntentOp::kCreate ? ApplyCreate(intent) : ApplyUnlink(intent);
}

Status Applier::ApplyCreate(const Intent& in) {
  if (Status s = PrepareStaging(backend_, in); !s.ok()) return s;
  // The applier's SyncNamespace links the file without syncs: the applier's
  // batched syncfs makes it durable before retiring.
  fs::FileStat linked;  // what the name holds right after the rename
  auto published = apply_ns_.PublishLinked(in.bucket, in.key,
                                           StagedObject{in.staging, in.meta, nullptr}, {}, &linked);
  if (!published.ok()) return published.status();
  caps_.Grant(fs::ParentPath(ObjectPath(in.bucket, in.key)));
  if (linked.ino != 0 && linked.ino != in.staging.ino) {
    // The filesystem is the authority: the object is whatever the name holds now.
    spdlog::warn("async create: inode number mismatch deleg_ino={:#x} target={:#x} key={}/{}",
                 in.staging.ino, linked.ino, LogField(in.bucket), LogField(in.key));
    metrics_.InoMismatch();
  }
  return Status::Ok();
}

Status Applier::ApplyUnlink(const Intent& in) {
  OpOptions op;
  op.prune_now = false;
  if (Status s = apply_ns_.Remove(in.bucket, in.key, op); !s.ok()) return s;
  std::lock_guard lock(mu_);
  to_prune_.emplace(in.bucket, fs::ParentPath(ObjectPath(in.bucket, in.key)));
  return Status::Ok();
}

Status Applier::Replay(const Intent& in) {
  const std::string path = ObjectPath(in.bucket, in.key);
  if (in.op == IntentOp::kCreate) {
    // The staging name is consumed by the rename: gone means already applied.
    auto st = backend_.Stat(in.staging.path);
    if (!st.ok()) {
      if (fs::IsMissing(st.status())) return Status::Ok();
      return st.status();
    }
    // Staging names are random and never reused: the file is the one the
    // intent named even under another inode number, as in a copy of the root
    // (a restored backup, an older layout's root unpacked elsewhere). Skipping
    // it would lose the answered create, and the sweep would remove its data.
    if (st->ino != in.staging.ino) {
      spdlog::warn(
          "replay: {} is inode {:#x}, the intent recorded {:#x} (a copied root?); "
          "applying it as answered: seq={} key={}",
          LogField(in.staging.path), st->ino, in.staging.ino, in.seq, LogField(in.key));
    }
  } else {
    auto st = backend_.Stat(path);
    if (!st.ok() && fs::IsMissing(st.status())) {
      // Unlinked before the crash, maybe not pruned: finish the prune.
      (void)apply_ns_.PruneEmptyDirs(in.bucket, fs::ParentPath(path), /*may_wait=*/true);
      return Status::Ok();
    }
    if (!st.ok()) return st.status();
    if (!st->is_regular) return Status::Ok();
    // A later async create's file is never the one this unlink was answered against.
    auto seq = ReadObjectSeq(backend_, path);
    const uint64_t file_seq = seq.ok() ? *seq : 0;
    if (file_seq > in.seq) return Status::Ok();
    // Another file holds the name: unlink it only if an older async create put it there.
    if (in.target_ino != 0 && st->ino != in.target_ino && file_seq == 0) return Status::Ok();
  }
  Op op{in, std::chrono::steady_clock::now()};
  Status last;
  int attempts = 0;
  switch (ApplyWithRetries(op, &last, &attempts)) {
    case Outcome::kApplied:
      return Status::Ok();
    case Outcome::kStopped:
      return Status::Errno(ECANCELED, "recovery stopped");
    case Outcome::kFailed:
      if (Retryable(last)) return last;  // keep the journal, refuse to start
      RecordFailure(in, last, attempts);
      return Status::Ok();
  }
  return Status::Ok();
}

void Applier::RecordFailure(const Intent& in, const Status& status, int attempts) {
  const int err = FailureErrno(status);
  spdlog::error(
      "async {} failed permanently: bucket={} key={} seq={} errno={} ({}) after {} "
      "attempt(s): {}",
      OpName(in.op), LogField(in.bucket), LogField(in.key), in.seq, err, metrics::ErrnoName(err),
      attempts, LogText(status.message()));
  metrics_.AsyncError(MetricOp(in.op), err);
  if (in.op == IntentOp::kCreate) (void)backend_.Unlink(in.staging.path);
  // Readers now see what the filesystem holds.
  overlay_.Resolve(in.bucket, in.key, in.seq);
  std::lock_guard lock(mu_);
  failed_.push_back(
      {in.op, in.bucket, in.key, in.seq, err, status, std::chrono::system_clock::now()});
  ++failed_total_;
  while (failed_.size() > options_.max_failed_listed) failed_.pop_front();
}

void Applier::SyncLoop() {
  NameThread("fsg-apply-sync");
  std::unique_lock lock(mu_);
  for (;;) {
    if (!sync_wake_.wait_for(lock, std::chrono::seconds(1),
                             [&] { return sync_stop_ || !applied_.empty(); })) {
      // Idle: the last checkpoint has no intent to ride along with.
      lock.unlock();
      (void)journal_.FlushIdle(std::chrono::seconds(1));
      lock.lock();
      continue;
    }
    if (applied_.empty()) return;  // stopping, nothing left to retire
    if (!sync_stop_) {
      // Let more applies land so one syncfs covers them.
      sync_wake_.wait_for(lock, options_.sync_window, [&] { return sync_stop_; });
    }
    if (applied_.empty()) continue;  // a crash-like stop dropped them
    std::vector<uint64_t> batch = std::exchange(applied_, {});
    lock.unlock();
    // Directories left empty go before the syncfs that retires their unlinks
    // (replay prunes again if a crash comes first).
    Prune(/*may_wait=*/false);  // never blocks a holder that waits for the applier
    // Every op in `batch` finished applying before this syncfs started.
    Status s = options_.fsync ? backend_.SyncFs() : Status::Ok();
    if (s.ok()) {
      if (Status t = journal_.Retire(batch); !t.ok()) {
        spdlog::warn("intent journal: trim failed: {}", t.message());
      }
    } else {
      spdlog::error("async applier: syncfs of applied ops failed ({}), journal kept", s.message());
    }
    lock.lock();
    if (!s.ok()) {
      applied_.insert(applied_.end(), batch.begin(), batch.end());
      if (sync_stop_) return;
      sync_wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return sync_stop_; });
    }
  }
}

bool Applier::HasPendingLocked(const std::string& bucket, const std::string& prefix,
                               bool exact) const {
  auto b = queues_.find(bucket);
  if (b == queues_.end()) return false;
  if (exact) return b->second.contains(prefix);
  auto it = b->second.lower_bound(prefix);
  return it != b->second.end() && it->first.starts_with(prefix);
}

void Applier::PromoteLocked(const std::string& bucket, const std::string& key) {
  auto b = queues_.find(bucket);
  if (b == queues_.end()) return;
  auto q = b->second.find(key);
  if (q == b->second.end()) return;
  if (std::exchange(q->second.urgent, true) || q->second.busy) return;
  // Neither busy nor urgent yet: the key waits in ready_.
  auto it = std::find(ready_.begin(), ready_.end(), std::make_pair(bucket, key));
  if (it != ready_.end()) ready_.erase(it);
  QueueTurnLocked(bucket, key, q->second);
}

void Applier::WaitKey(const std::string& bucket, const std::string& key) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/false);
  done_.wait(lock, [&] {
    PromoteLocked(bucket, key);  // again after each op: the key's next turn too
    return stop_ || !HasPendingLocked(bucket, key, true);
  });
}

Status Applier::WaitApplied(const std::string& bucket, const std::string& key, uint64_t seq) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/false);
  done_.wait(lock, [&] {
    PromoteLocked(bucket, key);
    if (stop_) return true;
    auto b = queues_.find(bucket);
    if (b == queues_.end()) return true;
    auto q = b->second.find(key);
    return q == b->second.end() || q->second.ops.front().intent.seq > seq;
  });
  for (auto f = failed_.rbegin(); f != failed_.rend(); ++f) {
    if (f->seq == seq) return f->status;
  }
  return Status::Ok();
}

void Applier::WaitPrefix(const std::string& bucket, const std::string& prefix) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/true);
  done_.wait(lock, [&] { return stop_ || !HasPendingLocked(bucket, prefix, false); });
}

void Applier::WaitBucket(const std::string& bucket) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/true);
  done_.wait(lock, [&] { return stop_ || !queues_.contains(bucket); });
}

void Applier::Drain() {
  {
    std::unique_lock lock(mu_);
    Waiter waiter(*this, /*broad=*/true);
    done_.wait(lock, [&] { return stop_ || queues_.empty(); });
  }
  PruneNow();  // drained means on disk as answered, emptied directories gone too
}

void Applier::PruneNow() { Prune(!KeyLocks::ThisThreadHoldsAny()); }

void Applier::PruneLater(const std::string& bucket, const std::string& dir) {
  std::lock_guard lock(mu_);
  to_prune_.emplace(bucket, dir);
}

void Applier::Prune(bool may_wait) {
  std::unique_lock lock(mu_);
  const auto prune = std::exchange(to_prune_, {});
  lock.unlock();
  for (const auto& [bucket, dir] : prune) {
    if (auto busy = apply_ns_.PruneEmptyDirs(bucket, dir, may_wait)) PruneLater(bucket, *busy);
  }
}

size_t Applier::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
}

uint64_t Applier::pending_bytes() const {
  std::lock_guard lock(mu_);
  return pending_bytes_;
}

size_t Applier::pending_files() const {
  std::lock_guard lock(mu_);
  return pending_files_;
}

size_t Applier::failed_count() const {
  std::lock_guard lock(mu_);
  return failed_total_;
}

std::string Applier::StatusJson() const {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  double oldest = 0;
  for (const auto& [bucket, keys] : queues_) {
    for (const auto& [key, q] : keys) {
      if (!q.ops.empty()) {
        oldest =
            std::max(oldest, std::chrono::duration<double>(now - q.ops.front().answered).count());
      }
    }
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("dirops");
  w.String("async");
  w.Key("pending");
  w.StartObject();
  w.Key("create");
  w.Uint64(pending_by_op_[0]);
  w.Key("unlink");
  w.Uint64(pending_by_op_[1]);
  w.EndObject();
  w.Key("oldest_pending_seconds");
  w.Double(oldest);
  w.Key("failed_total");
  w.Uint64(failed_total_);
  w.Key("failed");
  w.StartArray();
  for (const Failure& f : failed_) {
    w.StartObject();
    w.Key("op");
    w.String(OpName(f.op));
    w.Key("bucket");
    w.String(f.bucket.c_str(), static_cast<rapidjson::SizeType>(f.bucket.size()));
    w.Key("key");
    w.String(f.key.c_str(), static_cast<rapidjson::SizeType>(f.key.size()));
    w.Key("seq");
    w.Uint64(f.seq);
    w.Key("errno");
    w.Int(f.err);
    w.Key("error");
    w.String(metrics::ErrnoName(f.err).c_str());
    w.Key("message");
    w.String(f.status.message().c_str(),
             static_cast<rapidjson::SizeType>(f.status.message().size()));
    w.Key("time_unix");
    w.Int64(std::chrono::duration_cast<std::chrono::seconds>(f.when.time_since_epoch()).count());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

}  // namespace fsgate::fsclient
