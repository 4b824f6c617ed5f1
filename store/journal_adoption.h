// JournalAdoption: a surviving gateway replays the journal of a gateway that
// died (failover), so that every op the dead one answered reaches the
// filesystem, and so every gateway of the root, without waiting for that id
// to start again.
//
// Every gateway of a root holds .fsgate/gw/<id>/lock while it runs
// (gateway_state.h), and the filesystem lets go of a dead holder's lock: a
// posix OFD lock when the process dies, a CephFS lock when the MDS closes
// the dead client's session (session_timeout + session_autoclose of the
// filesystem; deploy/ceph-dev-cluster.sh sets them to their least). So
// another id's lock that this gateway can take is a dead gateway's. A pass,
// for each other id:
//   1. takes its lock without waiting (held: alive, or another survivor is
//      adopting it; either way it is left alone), writing
//      "adopting for gateway <self>" into it;
//   2. unless it is marked `adopted` already: finishes its adoption of a
//      format-1 root if it died in it (legacy_state.h), replays its journal
//      on its own staging directory (AsyncNamespace::ReplayAndClose: every live intent
//      applied, synced, the journal checkpointed past it);
//   3. marks it `adopted` (durably), counts fsgate_journals_adopted_total,
//      lets the lock go.
// The journal is kept, not removed: its checkpoint carries the seqs on, so a
// restart of that id continues above every seq its objects carry (a replayed
// unlink compares them) and replays nothing twice. That restart waits while
// an adoption holds its lock, and removes the marker before its engine opens
// (gateway_state.cpp); while the marker stands, passes skip the id at the cost
// of one lock and one stat. The staging directory is left to its owner's
// next start, as every gateway sweeps only its own.
//
// When: ObjectStore::Open runs one pass before the gateway serves, a thread
// (fsg-adopt) one every `interval`; bucket caps run one before taking a
// bucket (AdoptDeadGateways is the `before_acquire` hook), so a dead holder's
// ops land before anyone else writes its buckets.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::store {

class JournalAdoption {
 public:
  struct Options {
    std::string self_id;  // never adopted by itself
    bool fsync = true;
    // Between background passes. On posix a dead gateway's lock is free at
    // once, so its ops are visible through a survivor within this (plus the
    // replay: ~0.2 s for a few hundred ops here); on CephFS add the MDS's
    // session timeout.
    std::chrono::milliseconds interval{2000};
  };

  JournalAdoption(fs::Backend& backend, Options options, metrics::Metrics& metrics);
  // Stops the background thread after the pass under way.
  ~JournalAdoption();
  JournalAdoption(const JournalAdoption&) = delete;
  JournalAdoption& operator=(const JournalAdoption&) = delete;

  // One pass over every other gateway of the root (one pass at a time;
  // thread-safe). A failed replay leaves that journal as it was (replayed
  // again by the next pass or by its owner) and is returned after the other
  // gateways had their turn.
  [[nodiscard]] Status AdoptDeadGateways();
  // Starts the background passes.
  void Start();

 private:
  // True when this call replayed `id`'s journal.
  Result<bool> AdoptIfDead(const std::string& id);
  void Loop();

  fs::Backend& backend_;
  const Options options_;
  metrics::Metrics& metrics_;
  std::mutex pass_mu_;  // one pass at a time
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fsgate::store
