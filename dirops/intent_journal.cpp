#include "dirops/intent_journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "dirops/intent_codec.h"
#include "dirops/journal_segments.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {
namespace {

// The largest batch buffer kept for the next batch (see spare_records_).
constexpr size_t kKeptBatchBytes = 1 << 20;

}  // namespace

IntentJournal::IntentJournal(fs::Backend& backend, JournalOptions options,
                             metrics::Metrics& metrics)
    : backend_(backend), options_(std::move(options)), metrics_(metrics) {}

IntentJournal::~IntentJournal() {
  // A clean close writes the last checkpoint: the next start replays nothing.
  std::unique_lock lock(mu_);
  if (queued_records_ > 0 && broken_.ok() && file_) (void)FlushLocked(lock);
}

Result<std::unique_ptr<IntentJournal>> IntentJournal::Open(fs::Backend& backend,
                                                           JournalOptions options,
                                                           metrics::Metrics& metrics,
                                                           std::vector<Intent>* live) {
  std::unique_ptr<IntentJournal> journal(new IntentJournal(backend, std::move(options), metrics));
  if (Status s = journal->Recover(live); !s.ok()) return s;
  return journal;
}

Status IntentJournal::Recover(std::vector<Intent>* live) {
  if (Status s = fs::MakeDirs(backend_, options_.dir, options_.fsync); !s.ok()) return s;
  auto entries = backend_.ReadDir(options_.dir);
  if (!entries.ok()) return entries.status();
  for (const fs::DirEntry& e : *entries) {
    if (auto first = ParseSegmentName(e.name)) {
      segments_.push_back({*first, options_.dir + "/" + e.name});
    }
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });

  for (const Segment& segment : segments_) {
    auto file = backend_.Open(segment.path, fs::Backend::OpenMode::kRead);
    if (!file.ok()) return file.status();
    auto data = fs::ReadWholeFile(**file);
    if (!data.ok()) return data.status();
    auto header = DecodeSegmentHeader(*data);
    if (!header.ok()) {
      if (data->size() < kSegmentHeaderSize) continue;  // cut while being started: empty
      return Status::Errno(header.status().err(), segment.path + ": " + header.status().message());
    }
    if (header->version < kNodeRecordFormat && !options_.legacy_records) {
      return Status::Errno(EPROTO, segment.path + ": intent journal format " +
                                       std::to_string(header->version) +
                                       " needs the decoder of its records, none given");
    }
    next_seq_ = std::max(next_seq_, header->first_seq);
    const uint32_t seed = header->record_seed();
    // Records end at the first one that does not decode under this segment's
    // seed: zeros, a torn (never answered) append, or the recycled file's past.
    size_t pos = kSegmentHeaderSize;
    while (pos < data->size()) {
      size_t consumed = 0;
      auto intent = DecodeIntentRecord(std::string_view(*data).substr(pos), seed, &consumed,
                                       header->version, options_.legacy_records);
      if (!intent) break;
      if (intent->op == IntentOp::kCheckpoint) {
        checkpoint_ = std::max(checkpoint_, intent->seq);
        next_seq_ = std::max(next_seq_, intent->seq);
      } else {
        next_seq_ = std::max(next_seq_, intent->seq + 1);
        live->push_back(std::move(*intent));
      }
      pos += consumed;
    }
  }
  // Intents below the last checkpoint were applied durably before the restart.
  std::erase_if(*live, [&](const Intent& in) { return in.seq < checkpoint_; });
  for (const Intent& in : *live) live_.insert(in.seq);
  // Appends go to a fresh segment (never after a possibly torn tail), which
  // may replace a last segment holding no intent: its checkpoint is queued again.
  checkpoint_ = 0;
  JournalSegments::Options files;
  files.dir = options_.dir;
  files.segment_bytes = options_.segment_bytes;
  files.fsync = options_.fsync;
  segment_files_ = std::make_unique<JournalSegments>(backend_, files);
  if (Status s = segment_files_->Start(*entries); !s.ok()) return s;
  return StartSegment(next_seq_);
}

Status IntentJournal::StartSegment(uint64_t first_seq) {
  auto file = segment_files_->Create(first_seq, EncodeSegmentHeader(first_seq));
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  offset_ = kSegmentHeaderSize;
  file_first_seq_ = first_seq;
  rotate_ = false;
  std::lock_guard lock(segments_mu_);
  if (!segments_.empty() && segments_.back().first_seq == first_seq) segments_.pop_back();
  segments_.push_back({first_seq, options_.dir + "/" + SegmentName(first_seq)});
  return Status::Ok();
}

Status IntentJournal::WriteBatch(std::string& records, uint64_t first_seq) {
  if (rotate_ ||
      (offset_ > kSegmentHeaderSize && offset_ + records.size() > options_.segment_bytes)) {
    if (Status s = StartSegment(first_seq); !s.ok()) return s;
  }
  SealRecords(&records, RecordSeed(file_first_seq_));
  if (Status s = file_->PWrite(offset_, records); !s.ok()) {
    // Part of the batch may be there, sealed for this segment: later batches go
    // to a new one, so no shorter batch can leave a failed record decodable.
    rotate_ = true;
    return s;
  }
  if (options_.fsync) {
    if (Status s = file_->SyncData(); !s.ok()) {
      std::lock_guard lock(mu_);
      broken_ = Status::Errno(s.err(), "intent journal sync failed earlier: " + s.message());
      return s;
    }
  }
  offset_ += records.size();
  return Status::Ok();
}

Status IntentJournal::Append(Intent& intent) { return AppendMany(std::span<Intent>(&intent, 1)); }

Status IntentJournal::AppendMany(std::span<Intent> intents) {
  std::unique_lock lock(mu_);
  if (!broken_.ok()) return broken_;
  for (Intent& intent : intents) {
    intent.seq = next_seq_++;
    QueueLocked(intent);
  }
  return FlushLocked(lock);
}

void IntentJournal::QueueLocked(const Intent& record) {
  if (record.op != IntentOp::kCheckpoint) live_.insert(record.seq);
  if (queued_records_ == 0) {
    queued_first_seq_ = record.op == IntentOp::kCheckpoint ? next_seq_ : record.seq;
  }
  AppendIntentRecord(record, &queued_);
  ++queued_records_;
  if (record.op != IntentOp::kCheckpoint) queued_seqs_.push_back(record.seq);
}

Status IntentJournal::FlushLocked(std::unique_lock<std::mutex>& lock) {
  const uint64_t my_batch = open_batch_;
  while (done_batch_.load(std::memory_order_relaxed) < my_batch) {
    if (flushing_) {
      // Read under mu_ while a leader flushes: the word moves only after
      // done_batch_ does, when that batch (or the one before ours) has finished.
      WaitWord& flushed = flushed_[my_batch % 2];
      const uint32_t seen = flushed.Load();
      lock.unlock();
      flushed.WaitWhile(seen);
      if (done_batch_.load(std::memory_order_acquire) >= my_batch &&
          newest_failed_.load(std::memory_order_acquire) < my_batch) {
        return Status::Ok();
      }
      lock.lock();  // to lead the next batch, or to read our batch's failure
      continue;
    }
    // Lead: flush everything queued so far, this record included, as one batch.
    flushing_ = true;
    const uint64_t batch = open_batch_++;
    // The next batch queues into the buffers this leader's last batch left.
    std::string records = std::exchange(queued_, std::move(spare_records_));
    std::vector<uint64_t> seqs = std::exchange(queued_seqs_, std::move(spare_seqs_));
    const size_t count = std::exchange(queued_records_, 0);
    const uint64_t first_seq = queued_first_seq_;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    Status s = WriteBatch(records, first_seq);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    if (s.ok()) metrics_.Commit(count, took.count());
    records.clear();
    if (records.capacity() > kKeptBatchBytes) records = std::string();  // a rare large batch
    lock.lock();
    if (!s.ok()) {
      spdlog::error("intent journal: append of {} records failed: {} (errno {})", count,
                    s.message(), s.err());
      failed_batches_[batch] = s;
      newest_failed_.store(batch, std::memory_order_release);
      for (uint64_t seq : seqs) live_.erase(seq);
      // Waiters of older failed batches have read theirs long ago.
      while (failed_batches_.size() > 64) failed_batches_.erase(failed_batches_.begin());
    }
    seqs.clear();
    spare_records_ = std::move(records);
    spare_seqs_ = std::move(seqs);
    done_batch_.store(batch, std::memory_order_release);
    flushing_ = false;
    const bool next_queued = queued_records_ > 0;
    // The leader led its own batch (my_batch == batch): it has its answer.
    // Its waiters are woken after the unlock: woken under mu_, each of them
    // blocked on mu_ at once and was woken a second time by the unlock — a
    // futex wait and wake more per follower (16 connections of async DELETE,
    // strace -f: 4.3 futex calls a request on the request threads).
    lock.unlock();
    flushed_[batch % 2].Advance();
    // Waiters of the next batch (if any queued) need one of them to lead it.
    if (next_queued) flushed_[(batch + 1) % 2].Advance(1);
    return s;
  }
  if (auto it = failed_batches_.find(my_batch); it != failed_batches_.end()) return it->second;
  return Status::Ok();
}

Status IntentJournal::Retire(const std::vector<uint64_t>& seqs) {
  uint64_t trim_point = 0;
  {
    std::lock_guard lock(mu_);
    for (uint64_t seq : seqs) live_.erase(seq);
    trim_point = live_.empty() ? next_seq_ : *live_.begin();
    if (trim_point > checkpoint_ && broken_.ok()) {
      // Queued, not flushed: it rides along with the next batch of intents
      // (losing it only means replaying more), so it costs no sync of its own.
      Intent checkpoint;
      checkpoint.op = IntentOp::kCheckpoint;
      checkpoint.seq = trim_point;
      if (queued_records_ == 0) {
        queued_first_seq_ = next_seq_;
        checkpoint_queued_at_ = std::chrono::steady_clock::now();
      }
      AppendIntentRecord(checkpoint, &queued_);
      ++queued_records_;
      checkpoint_ = trim_point;
    }
  }
  return TrimBefore(trim_point);
}

Status IntentJournal::FlushIdle(std::chrono::steady_clock::duration older_than) {
  std::unique_lock lock(mu_);
  if (queued_records_ == 0 || flushing_ || !queued_seqs_.empty() || !broken_.ok() ||
      std::chrono::steady_clock::now() - checkpoint_queued_at_ < older_than) {
    return Status::Ok();
  }
  return FlushLocked(lock);
}

Status IntentJournal::TrimBefore(uint64_t seq) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(segments_mu_);
    size_t keep = 0;
    // Segment i holds seqs in [first_i, first_{i+1}): gone once first_{i+1} <= seq.
    while (keep + 1 < segments_.size() && segments_[keep + 1].first_seq <= seq) ++keep;
    for (size_t i = 0; i < keep; ++i) doomed.push_back(segments_[i].path);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(keep));
  }
  Status result;
  for (const std::string& path : doomed) {
    if (Status s = segment_files_->Retire(path); !s.ok()) result = s;
  }
  return result;
}

Status IntentJournal::health() const {
  std::lock_guard lock(mu_);
  return broken_;
}

uint64_t IntentJournal::next_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_;
}

size_t IntentJournal::live_count() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

size_t IntentJournal::segment_count() const {
  std::lock_guard lock(segments_mu_);
  return segments_.size();
}

}  // namespace fsgate::dirops
