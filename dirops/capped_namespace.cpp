#include "dirops/capped_namespace.h"

namespace fsgate::dirops {

Result<std::unique_ptr<CappedNamespace>> CappedNamespace::Open(fs::Backend& backend,
                                                               std::unique_ptr<Namespace> inner,
                                                               BucketCapsOptions options,
                                                               metrics::Metrics& metrics) {
  Namespace* ns = inner.get();
  // Applied and durable. On CephFS the flush is also what keeps the asker's
  // reads fast: each file this client still held dirty data of had its caps
  // revoked one by one when the asker read it (a LIST of 300 just-PUT objects
  // through the asker took 5-60 s without it).
  options.drain = [ns, &backend](const std::string& bucket) {
    if (Status s = ns->WaitBucket(bucket); !s.ok()) return s;
    return backend.SyncFs();
  };
  auto caps = BucketCaps::Open(backend, std::move(options), metrics);
  if (!caps.ok()) return caps.status();
  (*caps)->OnTake([ns](const std::string& bucket) { (void)ns->WaitBucket(bucket); });
  return std::unique_ptr<CappedNamespace>(new CappedNamespace(std::move(inner), std::move(*caps)));
}

CappedNamespace::~CappedNamespace() {
  caps_->StopWatcher();
  inner_.reset();
  caps_.reset();
}

Result<ObjectMeta> CappedNamespace::Publish(const std::string& bucket, const std::string& key,
                                            StagedObject object, const WriteConditions& conditions,
                                            OpOptions options) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  options.shared_cap = use->shared();
  return inner_->Publish(bucket, key, std::move(object), conditions, options);
}

Status CappedNamespace::Remove(const std::string& bucket, const std::string& key,
                               OpOptions options) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  options.shared_cap = use->shared();
  return inner_->Remove(bucket, key, options);
}

std::vector<Status> CappedNamespace::RemoveMany(const std::string& bucket,
                                                const std::vector<std::string>& keys,
                                                OpOptions options) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return std::vector<Status>(keys.size(), use.status());
  options.shared_cap = use->shared();
  return inner_->RemoveMany(bucket, keys, options);
}

Result<ObjectVersion> CappedNamespace::Find(const std::string& bucket, const std::string& key) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  return inner_->Find(bucket, key);
}

// The cursor reads on after the cap is let go: a listing concurrent with
// another gateway's writes may see some of them, as it may within one gateway.
Result<std::unique_ptr<KeyCursor>> CappedNamespace::List(const std::string& bucket,
                                                         const std::string& prefix,
                                                         const std::string& marker) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  return inner_->List(bucket, prefix, marker);
}

Status CappedNamespace::WaitKey(const std::string& bucket, const std::string& key) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  return inner_->WaitKey(bucket, key);
}

Status CappedNamespace::WaitBucket(const std::string& bucket) {
  auto use = caps_->Acquire(bucket);
  if (!use.ok()) return use.status();
  return inner_->WaitBucket(bucket);
}

}  // namespace fsgate::dirops
