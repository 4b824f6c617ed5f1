// Fixture for AsyncNamespace tests: a scratch root behind a FaultBackend, a
// bucket, and helpers that PUT and read objects the way ObjectStore does.
#pragma once

#include <gtest/gtest.h>

#include "dirops/async_namespace.h"
#include "fs/backend_util.h"
#include "fs/fault_backend.h"
#include "store/key_cursor.h"
#include "store/key_path.h"
#include "store/meta_record.h"
#include "store/object_meta_codec.h"
#include "tests/support/power_cut_backend.h"
#include "tests/unit/dirops/async_test_util.h"

namespace fsgate::dirops::testing {

using store::ObjectMeta;
using store::WriteObjectMeta;

inline AsyncOptions TestOptions() {
  AsyncOptions o;
  o.pool.low_watermark = 16;
  o.pool.high_watermark = 64;
  o.pool.batch = 16;
  o.pool.dir_low_watermark = 8;
  o.pool.dir_high_watermark = 16;
  o.applier.backoff = std::chrono::milliseconds(2);
  o.applier.max_attempts = 4;
  return o;
}

class AsyncFixture : public ::testing::Test {
 protected:
  void SetUp() override { UseBackend(dir_.NewBackend()); }
  // SetUp with a power-cut backend under the fault backend (cut_), for tests
  // that simulate a cut; the bucket is durable before the test begins.
  void SetUpWithPowerCut() {
    auto cut = std::make_unique<fs::PowerCutBackend>(dir_.NewBackend());
    cut_ = cut.get();
    UseBackend(std::move(cut));
    ASSERT_TRUE(backend_->SyncFs().ok());
  }
  void UseBackend(std::unique_ptr<fs::Backend> inner) {
    auto fault = std::make_unique<fs::FaultBackend>(std::move(inner));
    fault_ = fault.get();
    backend_ = std::move(fault);
    ASSERT_TRUE(backend_->Mkdir("bkt").ok());
  }
  void TearDown() override { ns_.reset(); }

  // The namespace with its backlog bounded to `max_pending_ops` ops, a full
  // one waited on for room for `backlog_wait` at most (0: falls back at once).
  void OpenWithBacklog(size_t max_pending_ops, std::chrono::milliseconds backlog_wait) {
    AsyncOptions options = TestOptions();
    options.max_pending_ops = max_pending_ops;
    options.backlog_wait = backlog_wait;
    OpenNs(options);
  }
  void OpenNs(AsyncOptions options = TestOptions()) {
    ns_.reset();
    auto ns = AsyncNamespace::Open(*backend_, options, metrics_);
    ASSERT_TRUE(ns.ok()) << ns.status().message();
    ns_ = std::move(*ns);
    if (options.pool.high_watermark > 0) {
      ASSERT_TRUE(ns_->pool().WaitAvailable(1, std::chrono::seconds(10)));
    }
  }

  // The rule that makes every `op` on a path containing `path_contains` take `ms` longer.
  static fs::FaultRule SlowRule(fs::FaultOp op, int ms, const std::string& path_contains = "") {
    return {.op = op,
            .path_contains = path_contains,
            .err = 0,
            .count = -1,
            .skip = 0,
            .delay = std::chrono::milliseconds(ms)};
  }
  // Every `op` on a path containing `path_contains` takes `ms` longer.
  void SlowDown(fs::FaultOp op, int ms, const std::string& path_contains = "") {
    fault_->AddRule(SlowRule(op, ms, path_contains));
  }
  // Every rename (the applier's link into place) takes `ms` longer.
  void SlowRenames(int ms, const std::string& path_contains = "") {
    SlowDown(fs::FaultOp::kRename, ms, path_contains);
  }

  static ObjectMeta MetaFor(const std::string& body) {
    ObjectMeta m;
    m.etag = std::to_string(std::hash<std::string>{}(body));
    m.size = body.size();
    m.content_type = "text/plain";
    return m;
  }

  // The node of `key` in the bucket "bkt", as the store names it.
  static NodePath Node(const std::string& key) { return store::ObjectNode("bkt", key); }
  static std::vector<NodePath> Nodes(const std::vector<std::string>& keys) {
    std::vector<NodePath> nodes;
    for (const std::string& key : keys) nodes.push_back(Node(key));
    return nodes;
  }
  // The node's staged form: the store's blob of MetaFor(body).
  static StagedNode Staged(const StagingFile& file, const std::string& body, bool inline_body) {
    StagedNode node;
    node.file = file;
    node.attrs = store::EncodeObjectAttrs(MetaFor(body), false);
    node.size = body.size();
    if (inline_body) node.inline_data = std::make_shared<const std::string>(body);
    return node;
  }
  // The ETag the node's blob carries.
  static std::string EtagOf(const NodeView& view) {
    auto record = store::DecodeMetaRecord(view.attrs.value_or(""));
    return record.ok() ? record->meta.etag : "<no record>";
  }

  // PutObject of a small body: inline data, as ObjectStore hands it over; the
  // mtime answered.
  Result<int64_t> Put(const std::string& key, const std::string& body, OpOptions op = {},
                      const WriteCheck& check = {}) {
    auto staging = ns_->AcquireStaging();
    if (!staging.ok()) return staging.status();
    auto r = ns_->Publish(Node(key), Staged(*staging, body, true), check, op);
    if (!r.ok()) ns_->ReleaseStaging(*staging);
    return r;
  }

  // PUTs `body` at <prefix>0 .. <prefix>n-1 and returns those keys.
  std::vector<std::string> PutKeys(const std::string& prefix, int n, const std::string& body) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
      keys.push_back(prefix + std::to_string(i));
      EXPECT_TRUE(Put(keys.back(), body).ok()) << keys.back();
    }
    return keys;
  }

  // PutObject of a body written to the staging file (the large-object path).
  Result<int64_t> PutStreamed(const std::string& key, const std::string& body) {
    auto staging = ns_->AcquireStaging();
    if (!staging.ok()) return staging.status();
    auto f = backend_->Open(staging->path, fs::Backend::OpenMode::kReadWrite);
    EXPECT_TRUE(f.ok()) << staging->path << ": " << f.status().message();
    if (!f.ok()) return f.status();
    EXPECT_TRUE((*f)->PWrite(0, body).ok());
    EXPECT_TRUE(WriteObjectMeta(**f, MetaFor(body)).ok());
    EXPECT_TRUE((*f)->Sync().ok());
    return ns_->Publish(Node(key), Staged(*staging, body, false), {}, {});
  }

  // The body as the namespace answers it, or "<absent>".
  std::string Get(const std::string& key) {
    auto v = ns_->Find(Node(key));
    if (!v.ok()) {
      EXPECT_TRUE(v.status().Is(StatusCode::kNotFound)) << v.status().message();
      return "<absent>";
    }
    auto data = fs::ReadWholeFile(*v->data);
    EXPECT_TRUE(data.ok());
    EXPECT_EQ(EtagOf(*v), MetaFor(*data).etag);
    return *data;
  }

  // The body as the filesystem holds it (bypassing the overlay), or "<absent>".
  std::string OnDisk(const std::string& key) {
    auto f = backend_->Open("bkt/" + key, fs::Backend::OpenMode::kRead);
    if (!f.ok()) return "<absent>";
    auto data = fs::ReadWholeFile(**f);
    return data.ok() ? *data : "<error>";
  }

  std::vector<std::string> ListKeys(const std::string& prefix = "") {
    std::vector<std::string> keys;
    auto pending = ns_->Pending("bkt", prefix, "");
    EXPECT_TRUE(pending.ok());
    if (!pending.ok()) return keys;
    auto c = store::MergePending(std::move(*pending),
                                 store::MakeDirKeyCursor(*backend_, "bkt", prefix, ""));
    for (;;) {
      auto n = c->Next();
      EXPECT_TRUE(n.ok());
      if (!n.ok() || !*n) break;
      keys.push_back((*n)->key);
    }
    return keys;
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    return MetricValue(metrics_, name, labels);
  }

  ScratchDir dir_;
  fs::FaultBackend* fault_ = nullptr;
  fs::PowerCutBackend* cut_ = nullptr;  // under fault_, after SetUpWithPowerCut
  std::unique_ptr<fs::Backend> backend_;
  metrics::Metrics metrics_;
  std::unique_ptr<AsyncNamespace> ns_;
};

}  // namespace fsgate::dirops::testing
