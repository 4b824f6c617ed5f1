// The applier's scheduling: per-name queues in answer order, the workers that
// take names from them (background at the lowest CPU priority, urgent ones for
// work a caller waits for), and the waits on names, prefixes and the whole
// backlog. Applying is in applier_apply.cpp, retiring in applier_retire.cpp.
#include "dirops/applier.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>

#include "base/after_answer.h"
#include "base/thread_priority.h"
#include "metrics/errno_name.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {

metrics::AsyncOp Applier::MetricOp(IntentOp op) {
  return op == IntentOp::kCreate ? metrics::AsyncOp::kCreate : metrics::AsyncOp::kUnlink;
}

const char* Applier::OpName(IntentOp op) { return op == IntentOp::kCreate ? "create" : "unlink"; }

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
    // Those waiting for room fall back (their ops go synchronous).
    for (RoomWaiter* waiter : room_line_) waiter->granted_cv.notify_one();
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

const Applier::Op& Applier::PushLocked(KeyQueue& q, Intent intent) {
  const IntentOp op = intent.op;
  const bool file = op == IntentOp::kCreate && !intent.inline_data;
  pending_bytes_ += intent.inline_data ? intent.inline_data->size() : 0;
  q.ops.push_back({std::move(intent), std::chrono::steady_clock::now()});
  ++pending_;
  ++pending_by_op_[op == IntentOp::kCreate ? 0 : 1];
  if (file) ++pending_files_;
  return q.ops.back();
}

void Applier::Enqueue(Intent intent, bool urgent) {
  const IntentOp op = intent.op;
  Wakeups wakeups;
  {
    std::lock_guard lock(mu_);
    KeyQueue& q = queues_[intent.top][intent.name];
    const bool idle = q.ops.empty() && !q.busy;
    const Intent& in = PushLocked(q, std::move(intent)).intent;
    if (idle) {
      q.urgent = urgent;
      wakeups = QueueTurnLocked(in.top, in.name, q);
    } else if (urgent) {
      PromoteLocked(in.top, in.name);
    } else if (BacklogHighLocked()) {
      wakeups.urgent = true;  // the backlog grew past the mark: help with it
    }
  }
  // Woken after the unlock: a worker woken while the request thread still held
  // mu_ blocked on it at once, and the unlock then cost a second futex call
  // (0.4 a PUT at one connection, strace). A background worker is woken once
  // the answer is out (base/after_answer.h): nobody waits for it, and the wake
  // no longer sits between the journal sync and the answer.
  if (wakeups.background) AfterAnswer(&Applier::WakeBackground, this);
  if (wakeups.urgent) urgent_work_.notify_one();
  metrics_.AddAsyncPending(MetricOp(op), +1);
}

void Applier::WakeBackground(void* applier) { static_cast<Applier*>(applier)->work_.notify_one(); }

Status Applier::ApplyNow(Intent intent) {
  const std::string top = intent.top;
  const std::string name = intent.name;
  const uint64_t seq = intent.seq;
  std::unique_lock lock(mu_);
  KeyQueue& q = queues_[top][name];
  if (!q.ops.empty() || q.busy || stop_) {
    // Ops before it on the name go first, in order: an urgent worker's turn.
    lock.unlock();
    Enqueue(std::move(intent), /*urgent=*/true);
    return WaitApplied(top, name, seq);
  }
  // The caller's turn, as a worker's: busy keeps the workers off the name.
  q.busy = true;
  const Op& op = PushLocked(q, std::move(intent));
  lock.unlock();
  metrics_.AddAsyncPending(MetricOp(op.intent.op), +1);
  Status last;
  const Outcome outcome = Apply(op, &last);
  lock.lock();
  FinishLocked(top, name, op, outcome);
  return outcome == Outcome::kFailed ? last : Status::Ok();
}

void Applier::NoteRequest() {
  if (options_.busy_workers == 0) return;
  last_request_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                         std::memory_order_relaxed);
}

Applier::BacklogRoom Applier::ReserveRoom(size_t ops, bool file,
                                          std::chrono::steady_clock::time_point deadline) {
  // A batch larger than the bound fits once nothing else is pending.
  if (options_.bound.ops > 0) ops = std::min(ops, options_.bound.ops);
  std::unique_lock lock(mu_);
  if (room_line_.empty() && HasRoomLocked(ops, file)) {
    HoldRoomLocked(ops, file);
    return BacklogRoom(this, ops, file);
  }
  const auto start = std::chrono::steady_clock::now();
  if (deadline <= start) return BacklogRoom();  // no wait allowed
  RoomWaiter waiter;
  waiter.ops = ops;
  waiter.file = file;
  room_line_.push_back(&waiter);
  // As for a broad wait: the urgent workers take the whole backlog now.
  if (broad_waiters_++ == 0) urgent_work_.notify_all();
  waiter.granted_cv.wait_until(lock, deadline, [&] { return waiter.granted || stop_; });
  --broad_waiters_;
  if (!waiter.granted) {
    room_line_.erase(std::find(room_line_.begin(), room_line_.end(), &waiter));
    GrantRoomLocked();  // those behind it may fit where it did not
  }
  lock.unlock();
  metrics_.BacklogWait(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return waiter.granted ? BacklogRoom(this, ops, file) : BacklogRoom();
}

bool Applier::HasRoomLocked(size_t ops, bool file) const {
  const ApplierOptions::Bound& bound = options_.bound;
  if (bound.ops > 0 && pending_ + reserved_ + ops > bound.ops) return false;
  if (bound.bytes > 0 && pending_bytes_ >= bound.bytes) return false;
  return !file || bound.files == 0 || pending_files_ + reserved_files_ < bound.files;
}

void Applier::HoldRoomLocked(size_t ops, bool file) {
  reserved_ += ops;
  if (file) ++reserved_files_;
}

void Applier::GrantRoomLocked() {
  while (!room_line_.empty() && !stop_) {
    RoomWaiter* next = room_line_.front();
    if (!HasRoomLocked(next->ops, next->file)) return;
    HoldRoomLocked(next->ops, next->file);
    next->granted = true;
    room_line_.pop_front();
    next->granted_cv.notify_one();
  }
}

void Applier::ReleaseRoom(size_t ops, bool file) {
  std::lock_guard lock(mu_);
  reserved_ -= ops;
  if (file) --reserved_files_;
  if (!room_line_.empty()) GrantRoomLocked();
}

std::chrono::steady_clock::duration Applier::YieldToRequestsLocked() const {
  using Duration = std::chrono::steady_clock::duration;
  if (options_.busy_workers == 0) return Duration::zero();
  // Callers waiting for room in the backlog wait on the applies themselves.
  if (!room_line_.empty()) return Duration::zero();
  const auto since = std::chrono::steady_clock::now().time_since_epoch() -
                     Duration(last_request_ns_.load(std::memory_order_relaxed));
  if (since >= options_.busy_quiet) return Duration::zero();
  const Duration quiet = options_.busy_quiet;
  if (background_applying_ >= options_.busy_workers) return quiet;
  const Duration defer_left = DeferLocked();
  return defer_left.count() > 0 ? std::min(quiet, defer_left) : Duration::zero();
}

std::chrono::steady_clock::duration Applier::DeferLocked() const {
  if (options_.busy_defer.count() <= 0 || ready_.empty()) return {};
  const auto& [top, name] = ready_.front();
  auto queues = queues_.find(top);
  if (queues == queues_.end()) return {};
  auto q = queues->second.find(name);
  if (q == queues->second.end() || q->second.ops.empty()) return {};
  const auto left =
      q->second.ops.front().answered + options_.busy_defer - std::chrono::steady_clock::now();
  return std::max(left, std::chrono::steady_clock::duration::zero());
}

Applier::Wakeups Applier::QueueTurnLocked(const std::string& top, const std::string& name,
                                          const KeyQueue& q) {
  if (q.urgent) {
    urgent_ready_.emplace_back(top, name);
    return {.urgent = true};
  }
  ready_.emplace_back(top, name);
  return {.background = !gathering_,  // else the gathering worker takes it
          .urgent = broad_waiters_ > 0 || BacklogHighLocked()};
}

void Applier::Wake(Wakeups wakeups) {
  if (wakeups.background) work_.notify_one();
  if (wakeups.urgent) urgent_work_.notify_one();
}

// A caller blocked on done_. One waiting for a single name keeps that name
// promoted; a broad one (a prefix, a top, a drain) has the urgent workers
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
    if (!urgent && options_.gather.count() > 0 && !gathering_ && !HasWorkLocked(false)) {
      // Out of work: wait a window for more before sleeping until woken.
      gathering_ = true;
      wake.wait_for(lock, options_.gather, [&] { return stop_; });
      gathering_ = false;
    }
    wake.wait(lock, [&] { return HasWorkLocked(urgent); });
    if (stop_) return;
    if (const auto yield =
            urgent ? std::chrono::steady_clock::duration::zero() : YieldToRequestsLocked();
        yield.count() > 0) {
      // Looks again once requests may have paused or the defer has passed
      // (nothing wakes it for either).
      wake.wait_for(lock, yield);
      continue;
    }
    auto& from = urgent && !urgent_ready_.empty() ? urgent_ready_ : ready_;
    auto [top, name] = std::move(from.front());
    from.pop_front();
    KeyQueue& q = queues_[top][name];
    q.busy = true;
    q.urgent = false;
    // Not copied (a copy of the intent's strings was two mallocs a PUT): the
    // front op stays put while unlocked, as busy keeps every other worker off
    // the name and appends to a list move no element.
    const Op& op = q.ops.front();
    if (!urgent) {
      ++background_applying_;
      // Ops a gather window brought apply in parallel, as if each had woken one.
      if (!ready_.empty()) work_.notify_one();
    }
    lock.unlock();

    Status last;
    const Outcome outcome = Apply(op, &last);

    lock.lock();
    if (!urgent && --background_applying_ < options_.busy_workers && !ready_.empty()) {
      work_.notify_one();  // a worker that yielded to requests may take the next
    }
    FinishLocked(top, name, op, outcome);
    if (outcome == Outcome::kStopped) return;  // the op stays in the journal
  }
}

Applier::Outcome Applier::Apply(const Op& op, Status* last) {
  int attempts = 0;
  const Outcome outcome = ApplyWithRetries(op, last, &attempts);
  const std::chrono::duration<double> lag = std::chrono::steady_clock::now() - op.answered;
  if (outcome == Outcome::kApplied) {
    overlay_.Resolve(op.intent.top, op.intent.name, op.intent.seq);
    metrics_.AsyncApplied(MetricOp(op.intent.op), true, lag.count());
  } else if (outcome == Outcome::kFailed) {
    RecordFailure(op.intent, *last, attempts);
    metrics_.AsyncApplied(MetricOp(op.intent.op), false, lag.count());
  }
  return outcome;
}

void Applier::FinishLocked(const std::string& top, const std::string& name, const Op& op,
                           Outcome outcome) {
  KeyQueue& queue = queues_[top][name];
  queue.busy = false;
  if (outcome == Outcome::kStopped) return;  // the op stays in the journal
  const IntentOp kind = op.intent.op;
  const uint64_t seq = op.intent.seq;
  --pending_;
  --pending_by_op_[kind == IntentOp::kCreate ? 0 : 1];
  pending_bytes_ -= op.intent.inline_data ? op.intent.inline_data->size() : 0;
  if (kind == IntentOp::kCreate && !op.intent.inline_data) --pending_files_;
  queue.ops.pop_front();  // `op` is that front op: read no further
  if (!queue.ops.empty()) {
    Wake(QueueTurnLocked(top, name, queue));
  } else {
    auto b = queues_.find(top);
    b->second.erase(name);
    if (b->second.empty()) queues_.erase(b);
  }
  applied_.push_back(seq);
  metrics_.AddAsyncPending(MetricOp(kind), -1);
  // The syncer waits for the first applied op of a batch; later ones only
  // join the batch (waking it for each cost a context switch per op).
  if (applied_.size() == 1) sync_wake_.notify_one();
  if (waiters_ > 0) done_.notify_all();
  if (!room_line_.empty()) GrantRoomLocked();
}

bool Applier::HasPendingLocked(const std::string& top, const std::string& prefix,
                               bool exact) const {
  auto b = queues_.find(top);
  if (b == queues_.end()) return false;
  if (exact) return b->second.contains(prefix);
  auto it = b->second.lower_bound(prefix);
  return it != b->second.end() && it->first.starts_with(prefix);
}

void Applier::PromoteLocked(const std::string& top, const std::string& name) {
  auto b = queues_.find(top);
  if (b == queues_.end()) return;
  auto q = b->second.find(name);
  if (q == b->second.end()) return;
  if (std::exchange(q->second.urgent, true) || q->second.busy) return;
  // Neither busy nor urgent yet: the name waits in ready_.
  auto it = std::find(ready_.begin(), ready_.end(), std::make_pair(top, name));
  if (it != ready_.end()) ready_.erase(it);
  Wake(QueueTurnLocked(top, name, q->second));
}

void Applier::WaitKey(const std::string& top, const std::string& name) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/false);
  done_.wait(lock, [&] {
    PromoteLocked(top, name);  // again after each op: the name's next turn too
    return stop_ || !HasPendingLocked(top, name, true);
  });
}

Status Applier::WaitApplied(const std::string& top, const std::string& name, uint64_t seq) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/false);
  done_.wait(lock, [&] {
    PromoteLocked(top, name);
    if (stop_) return true;
    auto b = queues_.find(top);
    if (b == queues_.end()) return true;
    auto q = b->second.find(name);
    return q == b->second.end() || q->second.ops.front().intent.seq > seq;
  });
  for (auto f = failed_.rbegin(); f != failed_.rend(); ++f) {
    if (f->seq == seq) return f->status;
  }
  return Status::Ok();
}

void Applier::WaitPrefix(const std::string& top, const std::string& prefix) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/true);
  done_.wait(lock, [&] { return stop_ || !HasPendingLocked(top, prefix, false); });
}

void Applier::WaitTop(const std::string& top) {
  std::unique_lock lock(mu_);
  Waiter waiter(*this, /*broad=*/true);
  done_.wait(lock, [&] { return stop_ || !queues_.contains(top); });
}

void Applier::Drain() {
  {
    std::unique_lock lock(mu_);
    Waiter waiter(*this, /*broad=*/true);
    done_.wait(lock, [&] { return stop_ || queues_.empty(); });
  }
  PruneNow();  // drained means on disk as answered, emptied directories gone too
}

size_t Applier::failed_count() const {
  std::lock_guard lock(mu_);
  return failed_total_;
}

std::string Applier::StatusJson() const {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  double oldest = 0;
  for (const auto& [top, names] : queues_) {
    for (const auto& [name, q] : names) {
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
    // The node's path, a directory node's with its trailing '/'.
    const std::string path = f.top + "/" + f.name;
    w.Key("path");
    w.String(path.c_str(), static_cast<rapidjson::SizeType>(path.size()));
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

}  // namespace fsgate::dirops
