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
    if (Status s = ns->WaitTop(bucket); !s.ok()) return s;
    return backend.SyncFs();
  };
  auto caps = BucketCaps::Open(backend, std::move(options), metrics);
  if (!caps.ok()) return caps.status();
  (*caps)->OnTake([ns](const std::string& bucket) { (void)ns->WaitTop(bucket); });
  return std::unique_ptr<CappedNamespace>(new CappedNamespace(std::move(inner), std::move(*caps)));
}

CappedNamespace::~CappedNamespace() {
  caps_->StopWatcher();
  inner_.reset();
  caps_.reset();
}

Result<int64_t> CappedNamespace::Publish(const NodePath& at, StagedNode node,
                                         const WriteCheck& check, OpOptions options) {
  auto use = caps_->Acquire(SplitNode(at).first);
  if (!use.ok()) return use.status();
  options.shared_cap = use->shared();
  return inner_->Publish(at, std::move(node), check, options);
}

Status CappedNamespace::Remove(const NodePath& at, OpOptions options) {
  auto use = caps_->Acquire(SplitNode(at).first);
  if (!use.ok()) return use.status();
  options.shared_cap = use->shared();
  return inner_->Remove(at, options);
}

// All of `nodes` are under one top directory (namespace.h).
std::vector<Status> CappedNamespace::RemoveMany(const std::vector<NodePath>& nodes,
                                                OpOptions options) {
  if (nodes.empty()) return {};
  auto use = caps_->Acquire(SplitNode(nodes.front()).first);
  if (!use.ok()) return std::vector<Status>(nodes.size(), use.status());
  options.shared_cap = use->shared();
  return inner_->RemoveMany(nodes, options);
}

Result<NodeView> CappedNamespace::Find(const NodePath& at) {
  auto use = caps_->Acquire(SplitNode(at).first);
  if (!use.ok()) return use.status();
  return inner_->Find(at);
}

// The caller walks the directory after this returns, with the cap let go: a
// listing concurrent with another gateway's writes may see some of them, as
// it may within one gateway; everything answered before it began is there.
Result<std::vector<PendingNode>> CappedNamespace::Pending(const std::string& top,
                                                          const std::string& prefix,
                                                          const std::string& after) {
  auto use = caps_->Acquire(top);
  if (!use.ok()) return use.status();
  return inner_->Pending(top, prefix, after);
}

Result<std::vector<DisplacedView>> CappedNamespace::Displaced(const NodePath& at) {
  auto use = caps_->Acquire(SplitNode(at).first);
  if (!use.ok()) return use.status();
  return inner_->Displaced(at);
}

Status CappedNamespace::WaitNode(const NodePath& at) {
  auto use = caps_->Acquire(SplitNode(at).first);
  if (!use.ok()) return use.status();
  return inner_->WaitNode(at);
}

Status CappedNamespace::WaitTop(const std::string& top) {
  auto use = caps_->Acquire(top);
  if (!use.ok()) return use.status();
  return inner_->WaitTop(top);
}

}  // namespace fsgate::dirops
