// ObjectStore with async dirops (the default): every S3-visible answer holds at
// once, before the applier has caught up, and survives a restart.
#include <gtest/gtest.h>

#include <thread>

#include "dirops/node_attrs.h"
#include "fs/fault_backend.h"
#include "store/object_meta_codec.h"
#include "store/object_store.h"
#include "tests/unit/dirops/async_test_util.h"

namespace fsgate::store {
namespace {

using dirops::testing::ScratchDir;
using testing::ReadLocalFile;

class AsyncStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reopen();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }
  void Reopen() {
    store_.reset();
    auto fault = std::make_unique<fs::FaultBackend>(dir_.NewBackend());
    fault_ = fault.get();
    auto store = ObjectStore::Open(std::move(fault), StoreOptions{}, metrics_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  Status Put(const std::string& key, const std::string& data) {
    PutRequest r;
    r.bucket = "bkt";
    r.key = key;
    r.expected_size = static_cast<int64_t>(data.size());
    auto w = store_->BeginPut(std::move(r));
    if (!w.ok()) return w.status();
    if (Status s = (*w)->Write(data); !s.ok()) return s;
    auto c = (*w)->Commit(ObjectMeta{});
    return c.ok() ? Status::Ok() : c.status();
  }
  std::string Get(const std::string& key) {
    auto r = store_->GetObject("bkt", key);
    if (!r.ok()) return r.status().reason();
    std::string data((*r)->meta().size, '\0');
    auto n = (*r)->Read(0, data);
    EXPECT_TRUE(n.ok());
    data.resize(n.ok() ? *n : 0);
    return data;
  }
  std::vector<std::string> List(const std::string& prefix, const std::string& delimiter) {
    ListRequest req;
    req.prefix = prefix;
    req.delimiter = delimiter;
    auto r = store_->ListObjects("bkt", req);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    for (const auto& o : r->objects) out.push_back(o.key);
    for (const auto& p : r->common_prefixes) out.push_back(p);
    return out;
  }

  ScratchDir dir_;
  metrics::Metrics metrics_;
  fs::FaultBackend* fault_ = nullptr;  // owned by store_
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(AsyncStoreTest, ReadAfterWriteListAfterDeleteAndRestart) {
  ASSERT_TRUE(Put("d/first", "1").ok());  // parent unknown: synchronous
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(Put("d/k" + std::to_string(i), "v" + std::to_string(i)).ok());
  ASSERT_TRUE(Put("d/sub/x", "x").ok());
  ASSERT_TRUE(Put("d/k7", "overwritten").ok());
  ASSERT_TRUE(store_->DeleteObject("bkt", "d/k8").ok());
  const std::string big(200 * 1024, 'z');  // streamed through the staging file
  ASSERT_TRUE(Put("d/big", big).ok());

  EXPECT_EQ(Get("d/k7"), "overwritten");
  EXPECT_EQ(Get("d/k8"), "NoSuchKey");
  EXPECT_EQ(Get("d/big"), big);
  auto head = store_->HeadObject("bkt", "d/k3");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 2u);
  auto listed = List("d/", "/");
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "d/sub/"), 1);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "d/k8"), 0);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "d/k39"), 1);
  EXPECT_EQ(listed.size(), 1u /*first*/ + 39 /*k*/ + 1 /*big*/ + 1 /*sub/*/);
  EXPECT_NE(store_->AsyncStatusJson().find("\"dirops\":\"async\""), std::string::npos);

  Reopen();  // a clean shutdown drains; the journal replays nothing twice
  EXPECT_EQ(Get("d/k7"), "overwritten");
  EXPECT_EQ(Get("d/k8"), "NoSuchKey");
  EXPECT_EQ(ReadLocalFile(dir_.path() + "/bkt/d/k7"), "overwritten");
  EXPECT_EQ(ReadLocalFile(dir_.path() + "/bkt/d/big"), big);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/bkt/d/k8"));
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
}

// PutObjectTagging of a key whose async create may still be pending: the
// create lands first, then only the tags of that file change. Its seq stays,
// so a replay never takes the file for another op's.
TEST_F(AsyncStoreTest, TaggingKeepsTheCreatesSeqDataAndEtag) {
  ASSERT_TRUE(Put("t/first", "1").ok());  // the parent is known from now on
  ASSERT_TRUE(Put("t/k", "data").ok());
  auto before = store_->HeadObject("bkt", "t/k");
  ASSERT_TRUE(before.ok());
  auto tagged = store_->PutObjectTagging("bkt", "t/k", {{"a", "1"}});
  ASSERT_TRUE(tagged.ok()) << tagged.status().message();
  EXPECT_EQ(tagged->etag, before->etag);
  auto backend = dir_.NewBackend();
  auto seq = dirops::ReadFileSeq(*backend, "bkt/t/k", ObjectAttrNames());
  ASSERT_TRUE(seq.ok());
  EXPECT_GT(*seq, 0u);
  EXPECT_EQ(store_->HeadObject("bkt", "t/k")->tags, (HeaderList{{"a", "1"}}));
  EXPECT_EQ(store_->PutObjectTagging("bkt", "t/none", {}).status().reason(), "NoSuchKey");
  Reopen();
  EXPECT_EQ(Get("t/k"), "data");
  EXPECT_EQ(store_->HeadObject("bkt", "t/k")->tags, (HeaderList{{"a", "1"}}));
}

TEST_F(AsyncStoreTest, DeleteBucketWaitsForPendingOps) {
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  ASSERT_TRUE(store_->DeleteObject("bkt", "a").ok());
  ASSERT_TRUE(store_->DeleteObject("bkt", "b").ok());
  EXPECT_TRUE(store_->DeleteBucket("bkt").ok());
  EXPECT_TRUE(store_->HeadBucket("bkt").status().Is(s3err::kNoSuchBucket));
  // The bucket's directories are no longer "known": a PUT now fails cleanly.
  EXPECT_EQ(Put("c", "3").reason(), "NoSuchBucket");
}

// A PUT still publishing when DeleteBucket starts is answered before the
// bucket can go: DeleteBucket finds it (BucketNotEmpty) instead of removing
// the directory under an answered object.
TEST_F(AsyncStoreTest, DeleteBucketNeverRemovesAnAnsweredPut) {
  ASSERT_TRUE(Put("seed", "s").ok());
  ASSERT_TRUE(store_->DeleteObject("bkt", "seed").ok());
  // The next journal append takes 300 ms: the PUT is mid-publish for that long.
  fault_->AddRule({.op = fs::FaultOp::kWrite,
                   .path_contains = ".log",
                   .err = 0,
                   .count = 1,
                   .skip = 0,
                   .delay = std::chrono::milliseconds(300)});
  Status put;
  std::thread writer([&] { put = Put("late", "answered"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Status deleted = store_->DeleteBucket("bkt");
  writer.join();
  ASSERT_TRUE(put.ok()) << put.message();
  EXPECT_TRUE(deleted.Is(s3err::kBucketNotEmpty)) << deleted.message();
  EXPECT_EQ(Get("late"), "answered");
  ASSERT_TRUE(store_->Drain().ok());
  EXPECT_EQ(ReadLocalFile(dir_.path() + "/bkt/late"), "answered");
}

}  // namespace
}  // namespace fsgate::store
