// CappedNamespace: a Namespace that holds its bucket's cap (BucketCaps) for
// the length of every op on it, the way the CephFS client needs Fx and
// DIR_CREATE/DIR_UNLINK before an async create or unlink and Fs before it
// answers a lookup from its cache. Held exclusive, the op runs as the inner
// namespace would alone; held shared, creates and unlinks go synchronous
// (OpOptions::shared_cap) and reads find nothing of the bucket pending in the
// overlay, so they read the filesystem. The inner namespace's WaitBucket is
// both the revoke's drain and, on a take, the forgetting of the directories
// it knew in the bucket.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dirops/bucket_caps.h"
#include "dirops/namespace.h"

namespace fsgate::dirops {

class CappedNamespace final : public Namespace {
 public:
  // Opens the caps on `backend` around `inner`.
  static Result<std::unique_ptr<CappedNamespace>> Open(fs::Backend& backend,
                                                       std::unique_ptr<Namespace> inner,
                                                       BucketCapsOptions options,
                                                       metrics::Metrics& metrics);
  // No revoke answered any more, the inner namespace drained and closed, and
  // only then the leases let go: no other gateway takes a bucket this one
  // still has ops pending in.
  ~CappedNamespace() override;

  BucketCaps& caps() { return *caps_; }

  Result<StagingFile> AcquireStaging() override { return inner_->AcquireStaging(); }
  void ReleaseStaging(const StagingFile& file) override { inner_->ReleaseStaging(file); }
  Result<ObjectMeta> Publish(const std::string& bucket, const std::string& key, StagedObject object,
                             const WriteConditions& conditions, OpOptions options) override;
  Status Remove(const std::string& bucket, const std::string& key, OpOptions options) override;
  std::vector<Status> RemoveMany(const std::string& bucket, const std::vector<std::string>& keys,
                                 OpOptions options) override;
  Result<ObjectVersion> Find(const std::string& bucket, const std::string& key) override;
  Result<std::unique_ptr<KeyCursor>> List(const std::string& bucket, const std::string& prefix,
                                          const std::string& marker) override;
  Status WaitKey(const std::string& bucket, const std::string& key) override;
  Status WaitBucket(const std::string& bucket) override;
  Status Drain() override { return inner_->Drain(); }
  std::string StatusJson() override { return inner_->StatusJson(); }
  Status WriteHealth() override { return inner_->WriteHealth(); }

 private:
  CappedNamespace(std::unique_ptr<Namespace> inner, std::unique_ptr<BucketCaps> caps)
      : inner_(std::move(inner)), caps_(std::move(caps)) {}

  std::unique_ptr<Namespace> inner_;
  std::unique_ptr<BucketCaps> caps_;
};

}  // namespace fsgate::dirops
