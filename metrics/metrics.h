// Metrics: every Prometheus series fsgate exports. Their names and labels are
// part of fsgate's interface (dashboards and alerts in deploy/ use them). The code path that
// changes a value updates it here; nothing is recomputed by scanning at scrape time where a counter
// belongs.
//
// prometheus-cpp stays behind this header so that the rest of the code only
// sees plain functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace fsgate::metrics {

enum class AsyncOp { kCreate, kUnlink };
enum class Direction { kIn, kOut };
enum class CapMode { kShared, kExclusive };
enum class CapRole { kHolder, kAsker };

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const;

  // fsgate_async_pending{op}: answered, not yet applied.
  void AddAsyncPending(AsyncOp op, int64_t delta);
  double AsyncPending(AsyncOp op) const;
  // fsgate_async_ops_total{op,result} and fsgate_async_apply_seconds{op}.
  void AsyncApplied(AsyncOp op, bool ok, double answer_to_applied_seconds);
  // fsgate_async_errors_total{op,errno}: errno as its symbolic name (EIO, ENOSPC, ...).
  void AsyncError(AsyncOp op, int err);
  // fsgate_ino_mismatch_total.
  void InoMismatch();
  double InoMismatchTotal() const;
  // fsgate_delegated_inodes_available.
  void SetDelegatedInodesAvailable(int64_t n);
  // fsgate_async_backlog_wait_seconds: an async op's wait for room in a full
  // backlog (back-pressure, Applier::ReserveRoom); only waits are observed.
  void BacklogWait(double seconds);
  // fsgate_sync_fallbacks_total{reason}: "no_delegated_inode", "pending_conflict",
  // "header", "backlog_full", "lease", ...
  void SyncFallback(std::string_view reason);
  // fsgate_multipart_expired_total: uploads aborted by --multipart-expiry.
  void MultipartExpired();
  double MultipartExpiredTotal() const;
  // fsgate_journals_adopted_total: dead gateways' journals this one replayed.
  void JournalAdopted();
  double JournalsAdoptedTotal() const;
  // fsgate_list_cache_bytes: memory of the sorted directory listings kept
  // between pages; fsgate_list_cache_lookups_total{result="hit"|"miss"}.
  void SetListCacheBytes(int64_t bytes);
  void ListCacheLookup(bool hit);
  double ListCacheLookups(bool hit) const;
  // fsgate_commit_batch_size and fsgate_commit_seconds.
  void Commit(size_t batch_size, double seconds);

  // fsgate_caps_held{mode}: buckets whose lease this gateway holds, by mode.
  void AddCapsHeld(CapMode mode, int64_t delta);
  double CapsHeld(CapMode mode) const;
  // fsgate_cap_revokes_total{role}: "holder", revokes this gateway answered
  // (drained the bucket, went shared); "asker", revokes it waited for.
  void CapRevoke(CapRole role);
  // fsgate_cap_revoke_wait_seconds: an asker's wait for a bucket held
  // exclusively by another gateway.
  void CapRevokeWait(double seconds);

  // fsgate_http_requests_total{api,code} and fsgate_http_request_seconds{api}.
  // `api` is an S3 operation name (PutObject, ...), never a path.
  void HttpRequest(std::string_view api, int status, double seconds);
  // fsgate_http_inflight_requests.
  void AddHttpInflight(int64_t delta);
  // fsgate_http_bytes_total{direction}.
  void HttpBytes(Direction direction, uint64_t bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsgate::metrics
