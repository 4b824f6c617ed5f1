#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <shared_mutex>
#include <string>
#include <vector>

#include "metrics/errno_name.h"
#include "metrics/series_cache.h"

namespace fsgate::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

constexpr std::array<AsyncOp, 2> kAsyncOps = {AsyncOp::kCreate, AsyncOp::kUnlink};

const char* OpName(AsyncOp op) { return op == AsyncOp::kCreate ? "create" : "unlink"; }
size_t OpIndex(AsyncOp op) { return op == AsyncOp::kCreate ? 0 : 1; }

// Latencies from a page-cache hit (sub-millisecond) to a stuck applier (a minute).
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

// One journal flush: a few microseconds on NVMe with the cache warm, up to
// seconds on a stalled device.
const Histogram::BucketBoundaries& CommitBuckets() {
  static const Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return kBuckets;
}

// Records per group commit: 1 .. 1024 in powers of two.
const Histogram::BucketBoundaries& BatchBuckets() {
  static const Histogram::BucketBoundaries kBuckets = [] {
    Histogram::BucketBoundaries b;
    for (double v = 1; v <= 1024; v *= 2) b.push_back(v);
    return b;
  }();
  return kBuckets;
}

// The series of one S3 API: its latency histogram and one counter per status.
struct ApiSeries {
  Family<Counter>* requests = nullptr;
  Histogram* seconds = nullptr;
  // Few distinct codes per API; a short vector beats a map. Guarded by codes_mutex.
  std::shared_mutex codes_mutex;
  std::vector<std::pair<int, Counter*>> codes;

  Counter& Code(std::string_view api, int status) {
    {
      std::shared_lock lock(codes_mutex);
      for (const auto& [code, counter] : codes)
        if (code == status) return *counter;
    }
    std::unique_lock lock(codes_mutex);
    for (const auto& [code, counter] : codes)
      if (code == status) return *counter;
    Counter& counter = requests->Add({{"api", std::string(api)}, {"code", std::to_string(status)}});
    codes.emplace_back(status, &counter);
    return counter;
  }
};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  Family<Gauge>& async_pending_family = prometheus::BuildGauge()
                                            .Name("fsgate_async_pending")
                                            .Help("Async dirops answered, not yet applied")
                                            .Register(*registry);
  Family<Counter>& async_ops_family = prometheus::BuildCounter()
                                          .Name("fsgate_async_ops_total")
                                          .Help("Async dirops applied, by result")
                                          .Register(*registry);
  Family<Counter>& async_errors_family = prometheus::BuildCounter()
                                             .Name("fsgate_async_errors_total")
                                             .Help("Async dirops whose apply failed, by errno")
                                             .Register(*registry);
  Family<Histogram>& async_apply_family =
      prometheus::BuildHistogram()
          .Name("fsgate_async_apply_seconds")
          .Help("Time from the answer to the client until the op is applied")
          .Register(*registry);
  Counter& ino_mismatch =
      prometheus::BuildCounter()
          .Name("fsgate_ino_mismatch_total")
          .Help("Applied creates whose final inode differs from the delegated one")
          .Register(*registry)
          .Add({});
  Counter& multipart_expired =
      prometheus::BuildCounter()
          .Name("fsgate_multipart_expired_total")
          .Help("Multipart uploads aborted because they outlived --multipart-expiry")
          .Register(*registry)
          .Add({});
  Counter& journals_adopted = prometheus::BuildCounter()
                                  .Name("fsgate_journals_adopted_total")
                                  .Help("Journals of dead gateways replayed by this one (failover)")
                                  .Register(*registry)
                                  .Add({});
  Gauge& delegated_inodes =
      prometheus::BuildGauge()
          .Name("fsgate_delegated_inodes_available")
          .Help("Staging inodes ready for async creates (delegated inode pool level)")
          .Register(*registry)
          .Add({});
  Family<Counter>& sync_fallbacks_family =
      prometheus::BuildCounter()
          .Name("fsgate_sync_fallbacks_total")
          .Help("Creates/unlinks done synchronously although async dirops are on, by reason")
          .Register(*registry);
  Histogram& commit_batch = prometheus::BuildHistogram()
                                .Name("fsgate_commit_batch_size")
                                .Help("Intent records made durable by one group commit")
                                .Register(*registry)
                                .Add({}, BatchBuckets());
  Histogram& commit_seconds = prometheus::BuildHistogram()
                                  .Name("fsgate_commit_seconds")
                                  .Help("Duration of one group commit (journal write + flush)")
                                  .Register(*registry)
                                  .Add({}, CommitBuckets());
  Family<Counter>& http_requests_family = prometheus::BuildCounter()
                                              .Name("fsgate_http_requests_total")
                                              .Help("S3 requests answered, by API and status")
                                              .Register(*registry);
  Family<Histogram>& http_seconds_family = prometheus::BuildHistogram()
                                               .Name("fsgate_http_request_seconds")
                                               .Help("S3 request latency, by API")
                                               .Register(*registry);
  Gauge& http_inflight = prometheus::BuildGauge()
                             .Name("fsgate_http_inflight_requests")
                             .Help("S3 requests being served")
                             .Register(*registry)
                             .Add({});
  Family<Counter>& http_bytes_family = prometheus::BuildCounter()
                                           .Name("fsgate_http_bytes_total")
                                           .Help("S3 payload bytes, by direction")
                                           .Register(*registry);

  Family<Gauge>& caps_held_family =
      prometheus::BuildGauge()
          .Name("fsgate_caps_held")
          .Help("Buckets whose lease (cap) this gateway holds, by mode")
          .Register(*registry);
  Family<Counter>& cap_revokes_family =
      prometheus::BuildCounter()
          .Name("fsgate_cap_revokes_total")
          .Help("Bucket cap revokes, answered (holder) or asked for (asker)")
          .Register(*registry);
  Histogram& cap_revoke_wait = prometheus::BuildHistogram()
                                   .Name("fsgate_cap_revoke_wait_seconds")
                                   .Help("Wait for a bucket another gateway held exclusively")
                                   .Register(*registry)
                                   .Add({}, LatencyBuckets());

  Histogram& backlog_wait =
      prometheus::BuildHistogram()
          .Name("fsgate_async_backlog_wait_seconds")
          .Help("Wait of an async create or unlink for room in the applier's full backlog")
          .Register(*registry)
          .Add({}, LatencyBuckets());

  Gauge& list_cache_bytes = prometheus::BuildGauge()
                                .Name("fsgate_list_cache_bytes")
                                .Help("Memory held by sorted directory listings kept between pages")
                                .Register(*registry)
                                .Add({});
  Family<Counter>& list_cache_family =
      prometheus::BuildCounter()
          .Name("fsgate_list_cache_lookups_total")
          .Help("Directory reads of listings: kept listing used (hit) or directory read (miss)")
          .Register(*registry);

  // Series with a fixed label set, created at start so that dashboards and
  // alerts see them (at zero) before the first operation.
  std::array<Gauge*, 2> async_pending{};
  std::array<std::array<Counter*, 2>, 2> async_ops{};  // [op][ok=0, error=1]
  std::array<Histogram*, 2> async_apply{};
  std::array<Counter*, 2> http_bytes{};          // [in, out]
  std::array<Gauge*, 2> caps_held{};             // [shared, exclusive]
  std::array<Counter*, 2> cap_revokes{};         // [holder, asker]
  std::array<Counter*, 2> list_cache_lookups{};  // [hit, miss]

  // Series whose label values appear at run time.
  std::array<SeriesCache<int, Counter*>, 2> async_errors;  // [op] errno -> counter
  SeriesCache<std::string, Counter*, StringHash> sync_fallbacks;
  SeriesCache<std::string, std::shared_ptr<ApiSeries>, StringHash> apis;

  Impl() {
    for (AsyncOp op : kAsyncOps) {
      const size_t i = OpIndex(op);
      const std::string name = OpName(op);
      async_pending[i] = &async_pending_family.Add({{"op", name}});
      async_ops[i][0] = &async_ops_family.Add({{"op", name}, {"result", "ok"}});
      async_ops[i][1] = &async_ops_family.Add({{"op", name}, {"result", "error"}});
      async_apply[i] = &async_apply_family.Add({{"op", name}}, LatencyBuckets());
    }
    http_bytes[0] = &http_bytes_family.Add({{"direction", "in"}});
    http_bytes[1] = &http_bytes_family.Add({{"direction", "out"}});
    caps_held[0] = &caps_held_family.Add({{"mode", "shared"}});
    caps_held[1] = &caps_held_family.Add({{"mode", "exclusive"}});
    cap_revokes[0] = &cap_revokes_family.Add({{"role", "holder"}});
    cap_revokes[1] = &cap_revokes_family.Add({{"role", "asker"}});
    list_cache_lookups[0] = &list_cache_family.Add({{"result", "hit"}});
    list_cache_lookups[1] = &list_cache_family.Add({{"result", "miss"}});
  }

  ApiSeries& Api(std::string_view api) {
    return *apis.Get(api, [&] {
      auto series = std::make_shared<ApiSeries>();
      series->requests = &http_requests_family;
      series->seconds = &http_seconds_family.Add({{"api", std::string(api)}}, LatencyBuckets());
      return series;
    });
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

std::shared_ptr<prometheus::Registry> Metrics::registry() const { return impl_->registry; }

void Metrics::AddAsyncPending(AsyncOp op, int64_t delta) {
  impl_->async_pending[OpIndex(op)]->Increment(static_cast<double>(delta));
}

double Metrics::AsyncPending(AsyncOp op) const {
  return impl_->async_pending[OpIndex(op)]->Value();
}

void Metrics::AsyncApplied(AsyncOp op, bool ok, double answer_to_applied_seconds) {
  impl_->async_ops[OpIndex(op)][ok ? 0 : 1]->Increment();
  impl_->async_apply[OpIndex(op)]->Observe(answer_to_applied_seconds);
}

void Metrics::AsyncError(AsyncOp op, int err) {
  Counter* counter = impl_->async_errors[OpIndex(op)].Get(err, [&] {
    return &impl_->async_errors_family.Add({{"op", OpName(op)}, {"errno", ErrnoName(err)}});
  });
  counter->Increment();
}

void Metrics::InoMismatch() { impl_->ino_mismatch.Increment(); }

double Metrics::InoMismatchTotal() const { return impl_->ino_mismatch.Value(); }

void Metrics::MultipartExpired() { impl_->multipart_expired.Increment(); }

double Metrics::MultipartExpiredTotal() const { return impl_->multipart_expired.Value(); }

void Metrics::JournalAdopted() { impl_->journals_adopted.Increment(); }

double Metrics::JournalsAdoptedTotal() const { return impl_->journals_adopted.Value(); }

void Metrics::SetListCacheBytes(int64_t bytes) {
  impl_->list_cache_bytes.Set(static_cast<double>(bytes));
}

void Metrics::ListCacheLookup(bool hit) { impl_->list_cache_lookups[hit ? 0 : 1]->Increment(); }

double Metrics::ListCacheLookups(bool hit) const {
  return impl_->list_cache_lookups[hit ? 0 : 1]->Value();
}

void Metrics::SetDelegatedInodesAvailable(int64_t n) {
  impl_->delegated_inodes.Set(static_cast<double>(n));
}

void Metrics::SyncFallback(std::string_view reason) {
  Counter* counter = impl_->sync_fallbacks.Get(reason, [&] {
    return &impl_->sync_fallbacks_family.Add({{"reason", std::string(reason)}});
  });
  counter->Increment();
}

void Metrics::Commit(size_t batch_size, double seconds) {
  impl_->commit_batch.Observe(static_cast<double>(batch_size));
  impl_->commit_seconds.Observe(seconds);
}

void Metrics::AddCapsHeld(CapMode mode, int64_t delta) {
  impl_->caps_held[mode == CapMode::kShared ? 0 : 1]->Increment(static_cast<double>(delta));
}

double Metrics::CapsHeld(CapMode mode) const {
  return impl_->caps_held[mode == CapMode::kShared ? 0 : 1]->Value();
}

void Metrics::CapRevoke(CapRole role) {
  impl_->cap_revokes[role == CapRole::kHolder ? 0 : 1]->Increment();
}

void Metrics::CapRevokeWait(double seconds) { impl_->cap_revoke_wait.Observe(seconds); }

void Metrics::BacklogWait(double seconds) { impl_->backlog_wait.Observe(seconds); }

void Metrics::HttpRequest(std::string_view api, int status, double seconds) {
  ApiSeries& series = impl_->Api(api);
  series.Code(api, status).Increment();
  series.seconds->Observe(seconds);
}

void Metrics::AddHttpInflight(int64_t delta) {
  impl_->http_inflight.Increment(static_cast<double>(delta));
}

void Metrics::HttpBytes(Direction direction, uint64_t bytes) {
  impl_->http_bytes[direction == Direction::kIn ? 0 : 1]->Increment(static_cast<double>(bytes));
}

}  // namespace fsgate::metrics
