// MdsLogNudge: asks the MDS to flush its journal when a metadata call of this
// client has waited on it for longer than a round trip.
//
// Why: when this client looks at a file another client has just written
// (lookup or getattr wanting size and mtime, i.e. Fs), the MDS revokes the
// writer's Fw/Fx and must journal the inode's shrunk client range before it
// grants Fs. An idle MDS flushes its journal only on its tick
// (mds_tick_interval, 5 s), so the reader's call waits up to 5 s: measured on
// the dev cluster, a raw libcephfs statx of each of 5 files another gateway had
// just written took 4.99-5.00 s; the MDS showed the inode in "ifile excl->sync"
// with a projected version waiting on the journal. A busy MDS (other clients'
// fsyncs) flushes sooner, which is why the wait ranged 7 ms-5 s. libcephfs 16.2
// has no call for the MDS journal alone; ceph_sync_fs sends the session's
// "flush mdlog" request (and syncs this client's own dirty state first): with
// it issued every 20 ms by a second thread, the same statx took 23 ms.
//
// Every guarded call registers; one thread, started with the nudge, waits
// until the oldest registered call has run `after`, then flushes, at most once
// per `after`, while any call is still waiting. A call that returns within
// `after` (the usual: caps already held, or one MDS round trip) costs two
// uncontended lock operations. Calls do not wake the thread while calls keep
// coming: it looks again every `after` until one passes with none, and only
// then sleeps until a call wakes it. Waking it at every call that found none
// waiting (each of a request's stats, reads and xattr reads at one
// connection) switched to it 1,500 times a second under async 4 KiB PUTs at
// one connection on the dev cluster (perf sched_switch), on 2 shared CPUs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace fsgate::fs {

class MdsLogNudge {
 public:
  // `flush` asks the MDS to flush its journal (ceph_sync_fs); it may block.
  MdsLogNudge(std::function<void()> flush, std::chrono::milliseconds after);
  MdsLogNudge(const MdsLogNudge&) = delete;
  MdsLogNudge& operator=(const MdsLogNudge&) = delete;
  ~MdsLogNudge();

  // Registers a call for its lifetime.
  class Guard {
   public:
    explicit Guard(MdsLogNudge& nudge);
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();

   private:
    MdsLogNudge& nudge_;
    uint64_t id_;
  };

  // How many flushes were asked so far.
  [[nodiscard]] uint64_t flushes() const;
  // How many calls woke the thread so far.
  [[nodiscard]] uint64_t wakes() const;

 private:
  using Clock = std::chrono::steady_clock;
  void Loop();

  const std::function<void()> flush_;
  const Clock::duration after_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::map<uint64_t, Clock::time_point> waiting_;  // call id -> its start; ids grow
  uint64_t next_id_ = 0;                           // also how many calls have started
  uint64_t flushes_ = 0;
  uint64_t wakes_ = 0;
  bool idle_ = false;  // the thread sleeps until a call wakes it
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fsgate::fs
