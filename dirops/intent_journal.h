// IntentJournal: the durable log of answered async creates and unlinks.
//
// Append() returns only once the record is on stable storage (with fsync on),
// and concurrent appends share one write + sync: the first caller to find no
// flush in progress becomes the leader and flushes every record queued so far;
// the others wait for that flush (group commit, as the MDS journal batches
// its events). Segments (pre-written files, see journal_segments.h) rotate at a
// size limit and are recycled by TrimBefore() once every intent in them has an
// applied effect that is itself durable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/wait_word.h"
#include "dirops/intent.h"
#include "dirops/intent_codec.h"
#include "dirops/journal_segments.h"
#include "fs/backend.h"

namespace fsgate::metrics {
class Metrics;
}

namespace fsgate::dirops {

struct JournalOptions {
  std::string dir = ".fsgate/journal";
  bool fsync = true;
  uint64_t segment_bytes = 16 * 1024 * 1024;
  // Decodes the records of segments an older fsgate wrote (intent_codec.h);
  // without it such a segment is refused, never skipped.
  LegacyRecordDecoder legacy_records;
};

class IntentJournal {
 public:
  // Opens (or creates) the journal and returns in `live` every intent it still
  // holds, in journal order; new appends go to a fresh segment, never after a
  // possibly torn tail. A segment of a newer format version is refused with a
  // clear message.
  static Result<std::unique_ptr<IntentJournal>> Open(fs::Backend& backend, JournalOptions options,
                                                     metrics::Metrics& metrics,
                                                     std::vector<Intent>* live);
  ~IntentJournal();
  IntentJournal(const IntentJournal&) = delete;
  IntentJournal& operator=(const IntentJournal&) = delete;

  // Assigns intent.seq and makes the intent durable. On failure nothing was
  // answered: ENOSPC gives a SlowDown status, anything else InternalError, and
  // a failed sync leaves the journal refusing every later append (the page
  // cache state after a failed fsync cannot be trusted).
  Status Append(Intent& intent);
  // Appends the intents as one batch (consecutive seqs, one write and sync):
  // all are durable or none is answered.
  Status AppendMany(std::span<Intent> intents);

  // The applied effects of these intents are durable (directories synced, or a
  // syncfs): they stop being live, and segments holding no live intent go.
  // Every appended or recovered intent is live until retired, so an intent is
  // never trimmed between its append and its hand-over to the applier.
  Status Retire(const std::vector<uint64_t>& seqs);
  // Writes a checkpoint that has waited `older_than` with no intent to carry it.
  Status FlushIdle(std::chrono::steady_clock::duration older_than);

  // Every intent with seq < `seq` has a durable applied effect: removes the
  // segments that hold nothing else (never the segment being appended to).
  Status TrimBefore(uint64_t seq);

  // Ok, or the failed sync that makes the journal refuse every append.
  Status health() const;
  uint64_t next_seq() const;
  size_t segment_count() const;
  size_t live_count() const;

 private:
  struct Segment {
    uint64_t first_seq;
    std::string path;
  };
  IntentJournal(fs::Backend& backend, JournalOptions options, metrics::Metrics& metrics);
  Status Recover(std::vector<Intent>* live);
  Status StartSegment(uint64_t first_seq);
  // Seals `records` for the segment they land in, writes and syncs them.
  Status WriteBatch(std::string& records, uint64_t first_seq);
  // Queues `record` for the next flush; an intent stays live until retired.
  void QueueLocked(const Intent& record);
  // Flushes what is queued (leading or following a batch) and waits for it;
  // a leader returns with `lock` released.
  Status FlushLocked(std::unique_lock<std::mutex>& lock);

  fs::Backend& backend_;
  const JournalOptions options_;
  metrics::Metrics& metrics_;

  // Group commit state.
  mutable std::mutex mu_;
  // Waiters of batch b sleep on flushed_[b % 2] without mu_: a finished batch
  // wakes its own waiters, who return without retaking mu_ (done_batch_, and
  // newest_failed_ only when a batch failed), and one waiter of the next batch
  // to lead it, not every thread queued behind (half of them would only go
  // back to sleep).
  WaitWord flushed_[2];
  std::atomic<uint64_t> newest_failed_{0};  // the newest batch that failed
  std::string queued_;                      // framed records not yet handed to a leader
  std::vector<uint64_t> queued_seqs_;       // intents (not checkpoints) queued
  // The buffers of the last batch written, emptied, kept for the next batch to
  // queue into: a fresh queue each batch allocated (and grew) a 4 KiB PUT's
  // record buffer on the request thread every time.
  std::string spare_records_;
  std::vector<uint64_t> spare_seqs_;
  size_t queued_records_ = 0;
  uint64_t queued_first_seq_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t open_batch_ = 1;  // the batch new records join
  // Every batch <= this has finished (ok or not). Written under mu_; read
  // without it by a woken follower.
  std::atomic<uint64_t> done_batch_{0};
  bool flushing_ = false;
  std::map<uint64_t, Status> failed_batches_;
  Status broken_;            // sticky after a failed sync
  std::set<uint64_t> live_;  // appended or recovered, not yet retired
  uint64_t checkpoint_ = 0;  // the last checkpoint queued, written or read
  std::chrono::steady_clock::time_point checkpoint_queued_at_;

  std::unique_ptr<JournalSegments> segment_files_;
  // Owned by the flushing leader (one at a time).
  std::unique_ptr<fs::File> file_;
  uint64_t offset_ = 0;
  uint64_t file_first_seq_ = 0;
  bool rotate_ = false;  // a failed write: the next batch starts a new segment

  mutable std::mutex segments_mu_;
  std::vector<Segment> segments_;  // by first_seq; the last is being appended to
};

}  // namespace fsgate::dirops
