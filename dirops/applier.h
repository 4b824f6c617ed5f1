// Applier: carries answered intents out on the filesystem, behind the answer.
//
// Ops on one name apply one at a time in answer order (so PUT k; DELETE k; PUT k
// leaves the last PUT, and an unlink followed by a re-create waits for the
// unlink, as ceph_wait_on_conflict_unlink does); different names apply in
// parallel on a few workers. A failed apply is retried with backoff; a
// permanent failure is counted, logged with errno and name, kept for
// StatusJson(), and its overlay entry resolved so readers see what the
// filesystem really holds. Applies make no syncs of their own: applied ops
// gather, one syncfs makes them all durable, and only then are they retired
// from the journal. Invariant: an op is retired only by a syncfs that started
// after its apply finished, so a later op on the same name can never leave an
// earlier one retired but not durable (syncing by path could: the name may
// already hold the later file).
//
// Priority: answering comes first. The workers run at the lowest CPU priority
// (the backlog bound in AsyncNamespace caps how far they may fall behind), so
// under load requests get the CPUs and applies take what is left; when idle
// they run at once. Work someone waits for — an urgent op (a sync create), a
// waited name, any op while a caller drains or waits for a prefix, any op once
// the backlog nears its bound — is taken by the urgent workers, at normal
// priority, so no wait is starved by request load. Where the filesystem
// serializes this process's calls (ApplierOptions::busy_workers), CPU priority
// is not enough: while requests come in, only that many background workers
// apply at once, and the backlog grows, within its bound, until they pause.
//
// One job per file: scheduling (queues, workers, waits) in applier.cpp,
// applying (backend ops, retries, replay) in applier_apply.cpp, retiring
// (sync window, journal trim, prune) in applier_retire.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dirops/dir_caps.h"
#include "dirops/intent.h"
#include "dirops/intent_journal.h"
#include "dirops/overlay.h"
#include "dirops/sync_namespace.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
enum class AsyncOp;
}  // namespace fsgate::metrics

namespace fsgate::dirops {

struct ApplierOptions {
  // Applies are cheap (no syncs of their own) but block on the filesystem:
  // a few in flight keep it busy while requests use the CPUs.
  int workers = 6;
  int urgent_workers = 2;
  // With this many ops pending (near the backlog bound, beyond which new ops
  // must wait for their own apply) the urgent workers help with the backlog
  // too. 0: never.
  size_t urgent_above = 0;
  // The backlog's bound (AsyncOptions::max_pending_*): ReserveRoom() holds
  // room under it. 0: unbounded.
  struct Bound {
    size_t ops = 0;
    uint64_t bytes = 0;
    size_t files = 0;  // pending creates whose bytes are in an open staging file
  } bound;
  // While requests come in (the last one noted less than busy_quiet ago), at
  // most this many background workers apply at once; 0: no limit
  // (fs::Backend::BackgroundCallsWhileBusy says what the filesystem needs).
  int busy_workers = 0;
  std::chrono::milliseconds busy_quiet{10};
  // Where busy_workers limits them: while requests come in and the op next in
  // line was answered less than busy_defer ago, background workers apply
  // none at all; past it, busy_workers at once. A burst is answered with the
  // filesystem's client, MDS and OSD to itself, and applied in one run after
  // it, which costs less than the same applies interleaved with it. Measured
  // on the dev cluster (1,500 4 KiB PUTs at 1 connection on a warmed async
  // gateway, fsync on, interleaved, load 7 from other work): one apply in
  // flight while busy, 565-592 PUT/s answered, p50 0.90-1.44 ms, all applied
  // 4.4-4.6 s after the start; none for the whole burst, 1,471-1,585/s, p50
  // 0.56-0.60 ms, all applied after 3.9-4.3 s, fsgate and MDS CPU a PUT
  // 5-15 % lower. Bounded by age, not by the backlog's size, so that a
  // sustained load's apply lag, a revoke's drain and a crash's replay stay
  // what one busy worker makes them, plus this.
  std::chrono::milliseconds busy_defer{1000};
  // A background worker that runs out of work stays awake this long for more
  // (a timed wait) before it sleeps until woken; while one does, answering a
  // create or unlink wakes no thread. At one connection every answer used to
  // wake a worker (a futex call and a cross-CPU wakeup on the request's path,
  // about 4,000 a second); with the gather the worker takes the ops of a
  // window together. 0: every op wakes a worker — the default: measured on a
  // quiet machine (run_bench.py --quick --fsync on, one run after the other),
  // a 1 ms gather took async DELETE c1 from 6,753 to 5,700/s and its server
  // CPU from 100 to 132 us, PUT c1 CPU from 176 to 201 us, for one futex call
  // a PUT fewer on the request thread and no throughput gained.
  std::chrono::microseconds gather{0};
  int max_attempts = 8;                   // about 6 s of retrying in all
  std::chrono::milliseconds backoff{50};  // doubled after each failed attempt
  bool fsync = true;
  // How long applied ops gather before one syncfs retires them together.
  // Retiring later costs nothing an answer waits for (the journal holds the
  // ops meanwhile; a crash replays at most this much more), while each syncfs
  // writes back everything dirty on the filesystem, not only fsgate's files,
  // and a request's journal fdatasync that meets one waits for it. At 100 ms,
  // one connection of async 4 KiB PUTs on a root shared with other writers
  // (perf record, 3,000 PUTs): 122 syncfs busy 3.2 s in all, 509 of 2,848
  // journal syncs overlapping one, 293 us a request added on average; at 1 s,
  // 11 syncfs, 0.24 s, 26 overlaps, 23 us a request.
  std::chrono::milliseconds sync_window{1000};
  size_t max_failed_listed = 1000;
};

class Applier {
 public:
  class BacklogRoom;
  Applier(fs::Backend& backend, SyncNamespace& apply_ns, Overlay& overlay, DirCaps& caps,
          IntentJournal& journal, metrics::Metrics& metrics, ApplierOptions options);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  void Start();
  // Stops the workers after their current op. With `drain`, every queued op is
  // applied first; without, queued ops stay only in the journal (a crash, as
  // the filesystem sees it).
  void Stop(bool drain);

  // Hands over an answered intent: durable in the journal, published in the
  // overlay. An `urgent` one (a caller waits for it) jumps the queue of names.
  void Enqueue(Intent intent, bool urgent = false);
  // Hands over an answered intent that its caller waits for (Enqueue, urgent,
  // then WaitApplied): with no op before it on the name the caller applies it
  // on its own thread, sparing the wakeup of an urgent worker and its own
  // wakeup when the worker is done. Its failure if it failed.
  Status ApplyNow(Intent intent);
  // A request is being answered: background applies yield to it (busy_workers).
  void NoteRequest();
  // Back-pressure: room under ApplierOptions::bound for `ops` ops about to be
  // answered async (and, for a `file` create, its open staging file), held
  // until the returned BacklogRoom is let go; waited for, first come first
  // served, until `deadline` at most. Not granted: the caller falls back.
  // While callers wait the urgent workers take the whole backlog (their
  // answers now wait on it). Why wait rather than fall back at once: a
  // fallback is applied on its request thread, out of turn with the backlog
  // (a streamed one with its own fsyncs), and the check that sent it there
  // was not held until the op was queued, so racing ops ran the backlog past
  // its bound (10 pending with a bound of 4, 8 threads). Sustained 4 KiB PUTs
  // at 32 connections over existing keys (80,000 PUTs, posix, fsync on, two
  // interleaved runs on a quiet machine): 45 % fell back before, none now;
  // answered 5,944-6,288 -> 6,367-6,570/s, applied 5,088-5,342 ->
  // 5,398-5,526/s, p99 21 -> 12.5-13 ms; CPU a PUT 209-224 -> 211-217 us.
  [[nodiscard]] BacklogRoom ReserveRoom(size_t ops, bool file,
                                        std::chrono::steady_clock::time_point deadline);

  // Recovery: applies a journal intent now unless its effect is already there.
  // Fails only for an error that may go away (the journal keeps the intent).
  Status Replay(const Intent& intent);

  void WaitKey(const std::string& top, const std::string& name);
  // Waits until op `seq` on top/name has been applied; its failure if it failed.
  Status WaitApplied(const std::string& top, const std::string& name, uint64_t seq);
  // Waits for every pending op whose name starts with `prefix`.
  void WaitPrefix(const std::string& top, const std::string& prefix);
  void WaitTop(const std::string& top);
  void Drain();
  // Prunes now the directories applied unlinks may have emptied (otherwise
  // done once per batch). Those pruned leave the directory cache. A caller
  // holding a name lock only prunes what it can lock at once; the rest waits
  // for a later pass.
  void PruneNow();
  // The same, and also `dir` and the directories below it that another
  // thread's pass took and has not pruned yet: a create of a file at `dir`
  // must not find one standing there, though that pass is busy before it or
  // stopped by the directory's lock this caller holds.
  void PruneNow(const std::string& top, const std::string& dir);
  // Adds `dir` (a directory path) to the next prune.
  void PruneLater(const std::string& top, const std::string& dir);

  size_t failed_count() const;
  std::string StatusJson() const;

 private:
  struct Op {
    Intent intent;
    std::chrono::steady_clock::time_point answered;
  };
  struct KeyQueue {
    // A list: a name's queue mostly holds one op at a time, which a deque
    // made two allocations for, and an element never moves while a worker
    // applies it unlocked.
    std::list<Op> ops;
    bool busy = false;
    // Its next turn belongs to the urgent workers: set while the name sits in
    // urgent_ready_ or, promoted while busy, until its op is done; cleared
    // when a worker takes the name.
    bool urgent = false;
  };
  struct Failure {
    IntentOp op;
    std::string top, name;
    uint64_t seq;
    int err;
    Status status;
    std::chrono::system_clock::time_point when;
  };
  enum class Outcome { kApplied, kFailed, kStopped };

  // The op as logs ("create", "unlink") and the fsgate_async_* metrics name it.
  static const char* OpName(IntentOp op);
  static metrics::AsyncOp MetricOp(IntentOp op);

  // An urgent worker takes urgent_ready_ first, and ready_ too while a broad
  // wait lasts or the backlog is high; a background one only ready_, at the
  // lowest CPU priority.
  void WorkerLoop(bool urgent);
  // The workers a queued turn needs woken.
  struct Wakeups {
    bool background = false;
    bool urgent = false;
  };
  // Puts the name's next turn in urgent_ready_ or ready_ (by KeyQueue::urgent);
  // returns the workers that may take it, for Wake().
  [[nodiscard]] Wakeups QueueTurnLocked(const std::string& top, const std::string& name,
                                        const KeyQueue& q);
  void Wake(Wakeups wakeups);
  // Wakes a background worker (an AfterAnswer callback: `applier` is this).
  static void WakeBackground(void* applier);
  // One pass over to_prune_ (and over what other passes hold at or below
  // `held_under`, a (top, directory)); a directory whose lock is busy
  // (without `may_wait`) goes back for the next pass.
  void Prune(bool may_wait, const std::pair<std::string, std::string>* held_under = nullptr);
  bool HasWorkLocked(bool urgent) const;
  // How long a background worker must leave the next op for before it looks
  // again (zero: it may take it): requests are being answered and
  // busy_workers applies are already in flight, or the op is younger than
  // busy_defer. Worked out once per look (DeferLocked finds the op's queue).
  std::chrono::steady_clock::duration YieldToRequestsLocked() const;
  // How long until the op next in line was answered busy_defer ago; zero
  // once it was (or nothing waits, or no defer).
  std::chrono::steady_clock::duration DeferLocked() const;
  bool BacklogHighLocked() const;
  // Moves the name's next turn to the urgent workers: a caller waits for it.
  void PromoteLocked(const std::string& top, const std::string& name);
  // Counts a caller blocked in a Wait*() for as long as it lives.
  class Waiter;
  // A caller of ReserveRoom() waiting in line (room_line_).
  struct RoomWaiter {
    std::condition_variable granted_cv;
    size_t ops = 0;
    bool file = false;
    bool granted = false;
  };
  bool HasRoomLocked(size_t ops, bool file) const;
  void HoldRoomLocked(size_t ops, bool file);
  // Grants room to the callers in line, in order, while it lasts.
  void GrantRoomLocked();
  void ReleaseRoom(size_t ops, bool file);
  void SyncLoop();
  Outcome ApplyWithRetries(const Op& op, Status* last, int* attempts);
  // Applies with retries and reports the outcome (overlay, metrics, failures).
  Outcome Apply(const Op& op, Status* last);
  // Appends to the name's queue and counts it pending.
  const Op& PushLocked(KeyQueue& q, Intent intent);
  // The name's front op is done (or stopped, then it stays): the queue moves on.
  void FinishLocked(const std::string& top, const std::string& name, const Op& op, Outcome outcome);
  Status ApplyOnce(const Intent& intent);
  Status ApplyCreate(const Intent& intent);
  Status ApplyUnlink(const Intent& intent);
  // Replay of a create whose staging name is gone (see the .cpp).
  Status RestoreInlineBody(const Intent& intent);
  void RecordFailure(const Intent& intent, const Status& status, int attempts);
  bool HasPendingLocked(const std::string& top, const std::string& prefix, bool exact) const;

  fs::Backend& backend_;
  SyncNamespace& apply_ns_;
  Overlay& overlay_;
  DirCaps& caps_;
  IntentJournal& journal_;
  metrics::Metrics& metrics_;
  const ApplierOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_;         // background workers
  std::condition_variable urgent_work_;  // urgent workers
  std::condition_variable done_;
  std::condition_variable sync_wake_;
  std::map<std::string, std::map<std::string, KeyQueue>> queues_;
  // Keys whose front op may start: each name is in at most one of these, and
  // in none while an op of it is being applied (KeyQueue::busy).
  std::deque<std::pair<std::string, std::string>> ready_;
  std::deque<std::pair<std::string, std::string>> urgent_ready_;
  size_t waiters_ = 0;  // callers blocked in a Wait*()
  int background_applying_ = 0;
  // A background worker is in its gather wait (ApplierOptions::gather): new
  // ops need not wake one.
  bool gathering_ = false;
  // steady_clock nanoseconds of the last NoteRequest(); written without mu_.
  std::atomic<int64_t> last_request_ns_{0};
  size_t broad_waiters_ = 0;  // of those, waiting for more than one name
  size_t pending_ = 0;
  size_t pending_by_op_[2] = {0, 0};
  uint64_t pending_bytes_ = 0;
  size_t pending_files_ = 0;  // pending creates whose bytes are in an open staging file
  // Room held by BacklogRooms (counted with pending_ against the bound), and
  // the callers waiting for room, first in line first.
  size_t reserved_ = 0;
  size_t reserved_files_ = 0;
  std::deque<RoomWaiter*> room_line_;
  std::vector<uint64_t> applied_;  // seqs applied (or given up), not yet durable
  // Directories unlinks may have emptied: pruned once per batch, before its syncfs.
  std::set<std::pair<std::string, std::string>> to_prune_;  // (top, directory)
  // The lists Prune() passes took from to_prune_ and are still pruning: each
  // its pass's own, registered here (and read) under mu_.
  std::vector<const std::set<std::pair<std::string, std::string>>*> pruning_;
  std::deque<Failure> failed_;
  size_t failed_total_ = 0;
  bool stop_ = false;
  bool sync_stop_ = false;
  std::vector<std::thread> workers_;
  std::thread syncer_;
};

// Room in the applier's backlog for ops about to be answered: counted against
// the bound from ReserveRoom() until destroyed (by then the ops are queued
// and counted as pending, or were not made).
class Applier::BacklogRoom {
 public:
  BacklogRoom() = default;
  BacklogRoom(BacklogRoom&& other) noexcept
      : applier_(std::exchange(other.applier_, nullptr)), ops_(other.ops_), file_(other.file_) {}
  BacklogRoom& operator=(BacklogRoom&& other) noexcept {
    if (this != &other) {
      Release();
      applier_ = std::exchange(other.applier_, nullptr);
      ops_ = other.ops_;
      file_ = other.file_;
    }
    return *this;
  }
  ~BacklogRoom() { Release(); }

  bool granted() const { return applier_ != nullptr; }

 private:
  friend class Applier;
  BacklogRoom(Applier* applier, size_t ops, bool file)
      : applier_(applier), ops_(ops), file_(file) {}
  void Release() {
    if (applier_ != nullptr) std::exchange(applier_, nullptr)->ReleaseRoom(ops_, file_);
  }

  Applier* applier_ = nullptr;
  size_t ops_ = 0;
  bool file_ = false;
};

}  // namespace fsgate::dirops
