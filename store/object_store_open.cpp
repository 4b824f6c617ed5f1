#include <spdlog/spdlog.h>

#include <algorithm>

#include "dirops/async_namespace.h"
#include "dirops/capped_namespace.h"
#include "dirops/journal_segments.h"
#include "dirops/sync_namespace.h"
#include "fs/backend_util.h"
#include "metrics/metrics.h"
#include "store/empty_dir_sweep.h"
#include "store/fs_object_store.h"
#include "store/legacy_intent_codec.h"
#include "store/multipart_layout.h"
#include "store/nested_key.h"
#include "store/object_meta_codec.h"
#include "store/store_layout.h"

namespace fsgate::store {

using dirops::AsyncNamespace;
using dirops::AsyncOptions;
using dirops::ParseSegmentName;
using dirops::SyncNamespace;

namespace {

AsyncOptions EngineOptions(const StoreOptions& options, const GatewayState& gateway) {
  return GatewayEngineOptions(gateway.dir(), options.fsync);
}

// A journal left by an async run may still hold answered ops. Without async
// dirops nothing would apply them now, and a later async start would replay
// them over whatever was written in between: they are applied first.
Status ApplyLeftoverJournal(fs::Backend& backend, const StoreOptions& options,
                            const GatewayState& gateway, metrics::Metrics& metrics) {
  auto entries = backend.ReadDir(gateway.journal_dir());
  if (!entries.ok()) return fs::IsMissing(entries.status()) ? Status::Ok() : entries.status();
  if (std::none_of(entries->begin(), entries->end(),
                   [](const fs::DirEntry& e) { return ParseSegmentName(e.name).has_value(); })) {
    return Status::Ok();
  }
  // The staging directory is swept by the next async start.
  return AsyncNamespace::ReplayAndClose(backend, EngineOptions(options, gateway), metrics);
}

}  // namespace

// The engine runs on the gateway's own journal and staging; intents of a
// journal adopted from an older fsgate name its old staging directory, and
// records of an older journal format are the store's to decode.
AsyncOptions GatewayEngineOptions(const std::string& gateway_dir, bool fsync) {
  AsyncOptions async;
  async.fsync = fsync;
  async.journal.dir = gateway_dir + "/" + GatewayState::kJournal;
  async.pool.dir = gateway_dir + "/" + GatewayState::kStaging;
  async.legacy_staging_dir = layout::kLegacyStaging;
  async.attr_names = ObjectAttrNames();
  async.journal.legacy_records = DecodeLegacyIntent;
  return async;
}

Result<std::unique_ptr<Namespace>> MakeNamespace(fs::Backend& backend, const StoreOptions& options,
                                                 const GatewayState& gateway,
                                                 metrics::Metrics& metrics) {
  if (options.async_dirops) {
    // Replays the intent journal before returning: every answered op is in place.
    auto ns = AsyncNamespace::Open(backend, EngineOptions(options, gateway), metrics);
    if (!ns.ok()) return ns.status();
    return std::unique_ptr<Namespace>(std::move(*ns));
  }
  if (Status s = ApplyLeftoverJournal(backend, options, gateway, metrics); !s.ok()) return s;
  return SyncNamespace::Standalone(backend, gateway.staging_dir(), options.fsync,
                                   ObjectAttrNames());
}

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(std::unique_ptr<fs::Backend> backend,
                                                       StoreOptions options,
                                                       metrics::Metrics& metrics) {
  if (!backend) return Status::Errno(EINVAL, "no backend");
  if (Status s = InitStoreLayout(*backend, options.fsync); !s.ok()) return s;
  if (auto moved = multipart::MigrateFlatUploads(*backend, options.fsync); !moved.ok()) {
    return moved.status();
  }
  auto gateway = GatewayState::Open(*backend, options.gateway_id, options.fsync);
  if (!gateway.ok()) return gateway.status();
  auto engine = MakeNamespace(*backend, options, **gateway, metrics);
  if (!engine.ok()) return engine.status();
  // Before serving: what a dead gateway answered is in place once this one
  // answers; and again before every take of a bucket's cap (a dead holder's
  // pending ops land before another gateway serves its bucket).
  auto adoption = std::make_unique<JournalAdoption>(
      *backend, JournalAdoption::Options{(*gateway)->id(), options.fsync, options.adopt_interval},
      metrics);
  if (Status s = adoption->AdoptDeadGateways(); !s.ok()) {
    spdlog::warn("journal adoption: {} (tried again in {} ms)", s.message(),
                 options.adopt_interval.count());
  }
  // Every op takes its bucket's cap: other gateways may serve this root too.
  dirops::BucketCapsOptions caps_options;
  caps_options.dir = layout::kCaps;
  caps_options.before_acquire = [a = adoption.get()] { return a->AdoptDeadGateways(); };
  auto ns = dirops::CappedNamespace::Open(*backend, std::move(*engine), caps_options, metrics);
  if (!ns.ok()) return ns.status();
  dirops::BucketCaps& caps = (*ns)->caps();
  auto clean = TakeCleanShutdownMarker(*backend, options.fsync);
  if (!clean.ok()) return clean.status();
  if (!*clean) {
    auto removed = SweepEmptyDirectories(*backend, options.fsync);
    if (!removed.ok()) return removed.status();
    if (*removed > 0) {
      spdlog::info("unclean stop: removed {} empty directories left half made", *removed);
    }
  }
  // Always, whatever --key-conflicts says now: a nest cut short by a crash
  // leaves an object that only this finishes.
  auto nested = FinishNests(*backend, (*gateway)->dir(), options.fsync);
  if (!nested.ok()) return nested.status();
  if (*nested > 0)
    spdlog::info("unclean stop: finished {} moves of objects into their directories", *nested);
  auto store = std::make_unique<FsObjectStore>(std::move(backend), std::move(*gateway),
                                               std::move(*ns), options, metrics);
  if (!*clean) {
    auto repaired = store->RepairVersions();
    if (!repaired.ok()) return repaired.status();
    if (*repaired > 0) {
      spdlog::info("unclean stop: put back {} latest versions left in their history", *repaired);
    }
  }
  store->StartAdoption(std::move(adoption));
  caps.OnTake([s = store.get()](const std::string& bucket) { s->ForgetBucket(bucket); });
  return std::unique_ptr<ObjectStore>(std::move(store));
}

FsObjectStore::FsObjectStore(std::unique_ptr<fs::Backend> backend,
                             std::unique_ptr<GatewayState> gateway, std::unique_ptr<Namespace> ns,
                             StoreOptions options, metrics::Metrics& metrics)
    : backend_(std::move(backend)),
      gateway_(std::move(gateway)),
      ns_(std::move(ns)),
      options_(options),
      metrics_(metrics) {
  if (options_.multipart_expiry.count() > 0) {
    multipart_expiry_ = std::make_unique<MultipartExpiry>(
        options_.multipart_expiry, [this](int64_t initiated_before_ns) {
          if (auto expired = AbortExpiredUploads(initiated_before_ns); !expired.ok()) {
            spdlog::warn("multipart expiry: scan failed: {}", expired.status().message());
          }
        });
  }
}

void FsObjectStore::StartAdoption(std::unique_ptr<JournalAdoption> adoption) {
  adoption_ = std::move(adoption);
  if (options_.adopt_interval.count() > 0) adoption_->Start();
}

// The expiry thread stops first, then the namespace: its applier may still
// use the backend. The adoption (its own thread; it uses only the backend)
// goes after the namespace, whose hooks may call it until then.
FsObjectStore::~FsObjectStore() {
  multipart_expiry_.reset();
  ns_.reset();
  adoption_.reset();
}

Status FsObjectStore::Drain() {
  if (Status s = ns_->Drain(); !s.ok()) return s;
  return MarkCleanShutdown(*backend_, options_.fsync);
}

std::string FsObjectStore::AsyncStatusJson() { return ns_->StatusJson(); }

Status FsObjectStore::WriteHealth() { return ns_->WriteHealth(); }

}  // namespace fsgate::store
