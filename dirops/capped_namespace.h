// CappedNamespace: a Namespace that holds its top directory's (bucket's) cap
// (BucketCaps) for the length of every op on it, the way the CephFS client needs Fx and
// DIR_CREATE/DIR_UNLINK before an async create or unlink and Fs before it
// answers a lookup from its cache. Held exclusive, the op runs as the inner
// namespace would alone; held shared, creates and unlinks go synchronous
// (OpOptions::shared_cap) and reads find nothing of the bucket pending in the
// overlay, so they read the filesystem. The inner namespace's WaitTop is
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
  Result<int64_t> Publish(const NodePath& at, StagedNode node, const WriteCheck& check,
                          OpOptions options) override;
  Status Remove(const NodePath& at, OpOptions options) override;
  std::vector<Status> RemoveMany(const std::vector<NodePath>& nodes, OpOptions options) override;
  Result<NodeView> Find(const NodePath& at) override;
  Result<std::vector<PendingNode>> Pending(const std::string& top, const std::string& prefix,
                                           const std::string& after) override;
  Result<std::vector<DisplacedView>> Displaced(const NodePath& at) override;
  Status WaitNode(const NodePath& at) override;
  Status WaitTop(const std::string& top) override;
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
