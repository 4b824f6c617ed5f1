// JournalSegments: the intent journal's segment files, pre-written.
//
// An append that stays inside blocks already written needs no metadata change,
// so its fdatasync is one data write and one cache flush; an append that grows
// the file must also commit the new size (and, on a journaling filesystem, the
// whole running transaction with everything the applier did). So segments are
// written in full (zeros) before they are used, and trimmed segments are
// recycled instead of unlinked. A background thread keeps a spare ready so a
// rotation never waits for a segment's worth of writes.
//
// Naming in the journal directory:
//   <20-digit first seq>.log   a segment (the only names recovery reads)
//   <n>.spare                  a pre-written file ready to become a segment
//   <n>.spare.tmp              a spare being written (removed at start)
//
// Invariant: a spare becomes a segment only with its new header already durable
// (stamped before the rename, the directory synced after), so a crash never
// shows a segment name over a recycled file's old header and records. Stale
// records after the new tail cannot pass for new ones: record CRCs are seeded
// with the segment's first seq (intent_codec.h).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::fsclient {

std::string SegmentName(uint64_t first_seq);
// The first seq a segment name stands for, or nullopt for any other name.
std::optional<uint64_t> ParseSegmentName(const std::string& name);

class JournalSegments {
 public:
  struct Options {
    std::string dir;
    uint64_t segment_bytes = 16 * 1024 * 1024;
    bool fsync = true;
    size_t spares_ready = 1;  // the background thread keeps this many
    size_t spares_kept = 2;   // trimmed segments recycled up to this many spares
  };

  explicit JournalSegments(fs::Backend& backend, Options options);
  ~JournalSegments();
  JournalSegments(const JournalSegments&) = delete;
  JournalSegments& operator=(const JournalSegments&) = delete;

  // Adopts complete spares left in `dir`, removes half-written ones, and
  // starts the background writer. The segments themselves are the journal's.
  Status Start(const std::vector<fs::DirEntry>& entries);
  void Stop();

  // A segment named for `first_seq` whose first bytes are `header`, made
  // durable, on a pre-written file. Blocks only when no spare is ready.
  Result<std::unique_ptr<fs::File>> Create(uint64_t first_seq, const std::string& header);
  // A segment no longer needed: kept as a spare, or unlinked beyond the limit.
  Status Retire(const std::string& path);

  size_t spares() const;

 private:
  // Writes a new spare of `bytes` zeros (0: one that grows as it is used); its path.
  Result<std::string> WriteSpare(uint64_t bytes);
  void SpareLoop();

  fs::Backend& backend_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::string> spares_;  // complete, pre-written files
  uint64_t next_spare_ = 1;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace fsgate::fsclient
