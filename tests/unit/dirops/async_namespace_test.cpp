#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "async_fixture.h"
#include "fs/backend_wrapper.h"
#include "store/object_store.h"

namespace fsgate::dirops {
namespace {

using store::ObjectStore;
using store::StoreOptions;

using testing::AsyncFixture;
using testing::TestOptions;

class AsyncNamespaceTest : public AsyncFixture {
 protected:
  // Every mkdir under the bucket fails (EACCES).
  void RefuseMkdirUnderTheBucket() {
    fault_->AddRule({.op = fs::FaultOp::kMkdir,
                     .path_contains = "bkt/",
                     .err = EACCES,
                     .count = -1,
                     .skip = 0,
                     .delay = {}});
  }
  void OpenWithWorkers(int background, int urgent) {
    AsyncOptions options = TestOptions();
    options.applier.workers = background;
    options.applier.urgent_workers = urgent;
    OpenNs(options);
  }
};

// The first create under a directory not known yet makes the directory at
// once and goes async like the ones after it: answered before it is applied,
// no fallback counted.
TEST_F(AsyncNamespaceTest, FirstCreateInADirectoryMakesItAndGoesAsync) {
  OpenNs();
  SlowRenames(2000, "/a");  // the applies of d/a and e/f/g/a held behind their answers
  ASSERT_TRUE(Put("d/a", "one").ok());
  ASSERT_TRUE(Put("e/f/g/a", "two").ok());
  ASSERT_TRUE(Put("d/b", "three").ok());
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total"), 0);
  EXPECT_EQ(OnDisk("d/a"), "<absent>");  // answered, not applied yet
  EXPECT_EQ(OnDisk("e/f/g/a"), "<absent>");
  EXPECT_GE(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 2);
  // The directories stand already: the create's own part is all that is pending.
  for (const char* dir : {"d", "e", "e/f", "e/f/g"}) {
    EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::path(dir_.path()) / "bkt" / dir))
        << dir;
  }
  EXPECT_EQ(Get("d/a"), "one");
  EXPECT_EQ(Get("e/f/g/a"), "two");
  EXPECT_EQ(ListKeys(""), (std::vector<std::string>{"d/a", "d/b", "e/f/g/a"}));
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("d/a"), "one");
  EXPECT_EQ(OnDisk("e/f/g/a"), "two");
  EXPECT_EQ(OnDisk("d/b"), "three");
  EXPECT_EQ(Metric("fsgate_async_ops_total", {{"op", "create"}, {"result", "ok"}}), 3);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_EQ(ns_->overlay_size(), 0u);
}

// What the tree rules out is refused before any directory is made: a file
// where a directory is needed, at the parent or higher up.
TEST_F(AsyncNamespaceTest, FirstCreateOfANewGatewayUnderFilesOnDiskIsANameConflict) {
  OpenNs();
  ASSERT_TRUE(Put("f", "file").ok());
  ASSERT_TRUE(Put("g/h", "file").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  OpenNs();  // a new gateway: no directory known
  for (const char* key : {"f/x", "f/y/z", "g/h/x"}) {
    auto put = Put(key, "x");
    ASSERT_FALSE(put.ok()) << key;
    EXPECT_TRUE(put.status().Is(StatusCode::kAlreadyExists))
        << key << ": " << put.status().message();
  }
  EXPECT_EQ(OnDisk("f"), "file");
  EXPECT_EQ(OnDisk("g/h"), "file");
  EXPECT_EQ(ListKeys(""), (std::vector<std::string>{"f", "g/h"}));
}

// A create refused after its directories were made (the journal's write
// failed) leaves them to the next prune: no empty directory stays behind.
TEST_F(AsyncNamespaceTest, DirectoriesOfAFailedFirstCreateArePruned) {
  OpenNs();
  fault_->AddRule({.op = fs::FaultOp::kWrite,
                   .path_contains = "journal",
                   .err = EIO,
                   .count = 1,
                   .skip = 0,
                   .delay = {}});
  ASSERT_FALSE(Put("n/m/a", "x").ok());
  ASSERT_TRUE(Put("keep/a", "y").ok());  // the journal goes on, in a new segment
  ASSERT_TRUE(ns_->Drain().ok());
  ns_.reset();  // closing prunes what is left to prune
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_.path()) / "bkt" / "n"));
  EXPECT_EQ(OnDisk("keep/a"), "y");
}

// The directories a first create needs are delegated ones renamed into place
// while the pool has them (no mkdir under the bucket at all), then made.
TEST_F(AsyncNamespaceTest, FirstCreateRenamesDelegatedDirectoriesIntoPlace) {
  OpenNs();
  ASSERT_TRUE(ns_->pool().WaitDirsAvailable(8, std::chrono::seconds(10)));
  RefuseMkdirUnderTheBucket();
  ASSERT_TRUE(Put("x/y/z/k", "v").ok());
  ASSERT_TRUE(Put("x/w/k", "v2").ok());  // x stands: only x/w is needed
  EXPECT_EQ(Get("x/y/z/k"), "v");
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("x/y/z/k"), "v");
  EXPECT_EQ(OnDisk("x/w/k"), "v2");
  EXPECT_EQ(Metric("fsgate_async_errors_total"), 0);
}

TEST_F(AsyncNamespaceTest, WithoutDelegatedDirectoriesTheFirstCreateMakesThem) {
  auto options = TestOptions();
  options.pool.dir_low_watermark = options.pool.dir_high_watermark = 0;
  OpenNs(options);
  EXPECT_EQ(ns_->pool().dirs_available(), 0u);
  ASSERT_TRUE(Put("x/y/k", "v").ok());
  RefuseMkdirUnderTheBucket();
  EXPECT_FALSE(Put("n/k", "v").ok());  // refused, as mkdir refuses: nothing answered
  fault_->ClearRules();
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("x/y/k"), "v");
  EXPECT_EQ(OnDisk("n/k"), "<absent>");
}

// Delegated directories left in the staging directory by a stop are removed
// at the next start (the pool makes new ones).
TEST_F(AsyncNamespaceTest, LeftoverDelegatedDirectoriesAreSweptAtStart) {
  OpenNs();
  ASSERT_TRUE(ns_->pool().WaitDirsAvailable(8, std::chrono::seconds(10)));
  std::vector<std::string> left;
  for (int i = 0; i < 3; ++i) {
    auto d = ns_->pool().AcquireDir();
    ASSERT_TRUE(d.has_value());
    left.push_back(*d);
  }
  for (const auto& d : left) ns_->pool().ReturnDir(d);
  ns_.reset();
  for (const auto& d : left) {
    EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::path(dir_.path()) / d)) << d;
  }
  OpenNs();
  for (const auto& d : left) {
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir_.path()) / d)) << d;
  }
}

// LastModified is fixed by the answer: applying the create does not move it,
// not even for an empty body (whose write would not touch the file's mtime).
TEST_F(AsyncNamespaceTest, AppliedObjectKeepsTheAnsweredLastModified) {
  OpenNs();
  ASSERT_TRUE(Put("m/seed", "s").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the pool's files are older
  auto empty = Put("m/empty", "");
  auto full = Put("m/full", "body");
  ASSERT_TRUE(empty.ok() && full.ok());
  ASSERT_TRUE(ns_->Drain().ok());
  for (const auto& [key, answered] : {std::pair{"m/empty", *empty}, std::pair{"m/full", *full}}) {
    auto found = ns_->Find(Node(key));
    ASSERT_TRUE(found.ok()) << key;
    EXPECT_EQ(found->mtime_ns, answered) << key;
    const auto on_disk =
        std::filesystem::last_write_time(std::filesystem::path(dir_.path()) / "bkt" / key);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::file_clock::to_sys(on_disk).time_since_epoch())
                  .count(),
              answered)
        << key;
  }
}

TEST_F(AsyncNamespaceTest, SlowApplierWithHundredsPendingReadsStayExact) {
  auto options = TestOptions();
  options.pool.low_watermark = 400;
  options.pool.high_watermark = 400;
  options.pool.batch = 100;
  OpenNs(options);
  ASSERT_TRUE(ns_->pool().WaitAvailable(400, std::chrono::seconds(20)));
  ASSERT_TRUE(Put("p/seed", "seed").ok());  // makes p/ known
  SlowRenames(20, "bkt/p/");
  std::vector<std::string> expected{"p/seed"};
  for (int i = 0; i < 300; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "p/k%03d", i);
    ASSERT_TRUE(Put(key, "v" + std::to_string(i)).ok());
    expected.push_back(key);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_GT(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 100);
  EXPECT_EQ(ListKeys("p/"), expected);
  EXPECT_EQ(Get("p/k123"), "v123");
  // Delete every third key while creates are still pending.
  std::vector<std::string> kept;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (i % 3 == 0) {
      ASSERT_TRUE(ns_->Remove(Node(expected[i]), {}).ok());
    } else {
      kept.push_back(expected[i]);
    }
  }
  EXPECT_EQ(ListKeys("p/"), kept);
  EXPECT_EQ(Get(expected[0]), "<absent>");
  EXPECT_GT(ns_->overlay_size(), 50u);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(ListKeys("p/"), kept);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(OnDisk(expected[i]) == "<absent>", i % 3 == 0) << expected[i];
  }
  EXPECT_EQ(ns_->overlay_size(), 0u);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kUnlink), 0);
  EXPECT_EQ(Metric("fsgate_async_apply_seconds", {{"op", "create"}}), 301);  // seed too
}

TEST_F(AsyncNamespaceTest, PutDeletePutLeavesTheLastPut) {
  OpenNs();
  ASSERT_TRUE(Put("k", "first").ok());
  SlowRenames(5);
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(Put("k", "v1-" + std::to_string(round)).ok());
    ASSERT_TRUE(ns_->Remove(Node("k"), {}).ok());
    EXPECT_EQ(Get("k"), "<absent>");
    ASSERT_TRUE(Put("k", "v3-" + std::to_string(round)).ok());
    EXPECT_EQ(Get("k"), "v3-" + std::to_string(round));
  }
  ASSERT_TRUE(ns_->WaitNode(Node("k")).ok());
  EXPECT_EQ(OnDisk("k"), "v3-4");
  EXPECT_EQ(Get("k"), "v3-4");
}

TEST_F(AsyncNamespaceTest, StreamedObjectsAreReadableWhilePending) {
  OpenNs();
  ASSERT_TRUE(Put("s0", "x").ok());
  SlowRenames(20);
  std::string big(200000, 'b');
  ASSERT_TRUE(PutStreamed("big", big).ok());
  EXPECT_EQ(Get("big"), big);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("big"), big);
  EXPECT_EQ(Get("big"), big);
}

TEST_F(AsyncNamespaceTest, JournalWriteFailureIsAnErrorNeverASuccess) {
  OpenNs();
  ASSERT_TRUE(Put("a", "known").ok());
  // Segments (".log"), not the spares the journal prepares in the background.
  fault_->AddRule({.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = EIO});
  auto r = Put("b", "lost");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(Get("b"), "<absent>");
  fault_->AddRule({.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = ENOSPC});
  Status s = ns_->Remove(Node("a"), {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNoSpace);
  EXPECT_EQ(Get("a"), "known");
  ASSERT_TRUE(Put("c", "fine").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("b"), "<absent>");
  EXPECT_EQ(OnDisk("a"), "known");
  EXPECT_EQ(OnDisk("c"), "fine");
}

TEST_F(AsyncNamespaceTest, ApplyEioIsRetried) {
  OpenNs();
  ASSERT_TRUE(Put("seed", "s").ok());
  fault_->AddRule({.op = fs::FaultOp::kRename, .path_contains = "bkt/r", .err = EIO, .count = 2});
  ASSERT_TRUE(Put("r", "retried").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(fault_->injected(), 2);
  EXPECT_EQ(OnDisk("r"), "retried");
  EXPECT_EQ(Metric("fsgate_async_errors_total"), 0);
  EXPECT_EQ(Metric("fsgate_async_ops_total", {{"op", "create"}, {"result", "ok"}}), 2);
}

TEST_F(AsyncNamespaceTest, PermanentFailureIsCountedListedAndResolved) {
  OpenNs();
  ASSERT_TRUE(Put("f", "old").ok());
  ASSERT_TRUE(ns_->Drain().ok());  // on disk
  fault_->AddRule({.op = fs::FaultOp::kRename,
                   .path_contains = "bkt/f",
                   .err = EROFS,
                   .count = -1,
                   .skip = 0,
                   .delay = std::chrono::milliseconds(100)});
  ASSERT_TRUE(Put("f", "new").ok());  // answered: durable intent
  EXPECT_EQ(Get("f"), "new");
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(Metric("fsgate_async_errors_total", {{"op", "create"}}), 1);
  EXPECT_EQ(Metric("fsgate_async_ops_total", {{"op", "create"}, {"result", "error"}}), 1);
  EXPECT_EQ(Get("f"), "old");  // the overlay gave way to what the filesystem holds
  const std::string json = ns_->StatusJson();
  EXPECT_NE(json.find("\"path\":\"bkt/f\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"errno\":30"), std::string::npos) << json;
  EXPECT_NE(json.find("EROFS"), std::string::npos) << json;
  // No staging file leaks from the failed create.
  size_t staged_with_data = 0;
  for (const auto& path :
       testing::FilesUnder(std::filesystem::path(dir_.path()) / ".fsgate/staging")) {
    staged_with_data += std::filesystem::file_size(path) > 0;
  }
  EXPECT_EQ(staged_with_data, 0u);
}

TEST_F(AsyncNamespaceTest, SwappedInodeIsCountedAndTheFilesystemTrusted) {
  OpenNs();
  ASSERT_TRUE(Put("seed", "s").ok());
  const double before = metrics_.InoMismatchTotal();
  fault_->SwapInodeAfterRename("bkt/swapped");
  ASSERT_TRUE(Put("swapped", "content").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(metrics_.InoMismatchTotal(), before + 1);
  EXPECT_EQ(OnDisk("swapped"), "content");
  EXPECT_EQ(Get("swapped"), "content");
  ASSERT_TRUE(ns_->Remove(Node("swapped"), {}).ok());
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("swapped"), "<absent>");
}

TEST_F(AsyncNamespaceTest, EmptyPoolFallsBackToSyncCounted) {
  auto options = TestOptions();
  options.pool.low_watermark = options.pool.high_watermark = 0;
  OpenNs(options);
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total", {{"reason", "no_delegated_inode"}}), 2);
  // Answered once applied: journaled (the body rides in the intent), then linked.
  EXPECT_EQ(OnDisk("b"), "2");
  EXPECT_EQ(Metric("fsgate_async_ops_total"), 2);
}

TEST_F(AsyncNamespaceTest, PoolRefillsAndDrainsToFallback) {
  auto options = TestOptions();
  options.pool.low_watermark = 2;
  options.pool.high_watermark = 4;
  options.pool.batch = 4;
  OpenNs(options);
  ASSERT_TRUE(ns_->pool().WaitAvailable(4, std::chrono::seconds(5)));
  EXPECT_EQ(Metric("fsgate_delegated_inodes_available"), 4);
  std::vector<StagingFile> taken;
  while (auto f = ns_->pool().Acquire()) {
    EXPECT_TRUE(f->delegated);
    EXPECT_GT(f->ino, 0u);
    EXPECT_EQ(std::filesystem::status(std::filesystem::path(dir_.path()) / f->path).type(),
              std::filesystem::file_type::regular);
    taken.push_back(*f);
    if (taken.size() > 50) break;  // the refiller keeps up: fine too
  }
  EXPECT_GE(taken.size(), 4u);
  ASSERT_TRUE(ns_->pool().WaitAvailable(2, std::chrono::seconds(5)));
}

// A pool asked to fill before start is full when Open returns: a fresh
// gateway's first PUTs take delegated files instead of waiting on the refill.
// A restart adopts the files the pool left and does not wait for a refill
// that will not run (the pool is above its low watermark).
TEST_F(AsyncNamespaceTest, APoolToFillBeforeStartIsFullWhenOpenReturns) {
  auto options = TestOptions();
  options.pool.low_watermark = 100;
  options.pool.high_watermark = 300;
  options.pool.batch = 50;
  options.pool.fill_before_start = true;
  OpenNs(options);
  EXPECT_EQ(ns_->pool().available(), 300u);
  ASSERT_TRUE(ns_->pool().Acquire().has_value());
  ns_.reset();
  const auto start = std::chrono::steady_clock::now();
  OpenNs(options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, options.pool.fill_wait / 2);
  EXPECT_EQ(ns_->pool().available(), 300u);  // the file taken but never used comes back too
}

namespace {
// A local directory that says its namespace calls are MDS round trips.
class RemoteMetadataBackend : public fs::BackendWrapper {
 public:
  using fs::BackendWrapper::BackendWrapper;
  bool RemoteMetadata() const override { return true; }
};
}  // namespace

// Where creates are MDS round trips, the pool fills to its high watermark
// before start by default; on a local disk start does not wait for it. Each
// batch's directory sync is slowed (6 batches, 100 ms each) so the two differ.
TEST_F(AsyncNamespaceTest, ABackendWithRemoteMetadataFillsThePoolBeforeStart) {
  auto options = TestOptions();
  options.pool.low_watermark = 100;
  options.pool.high_watermark = 300;
  options.pool.batch = 50;
  SlowDown(fs::FaultOp::kSyncDir, 100, ".fsgate/staging");
  {
    auto ns = AsyncNamespace::Open(*backend_, options, metrics_);
    ASSERT_TRUE(ns.ok()) << ns.status().message();
    EXPECT_LT((*ns)->pool().available(), 300u) << "a local disk's start waited for the pool";
  }
  testing::ScratchDir other;
  auto fault = std::make_unique<fs::FaultBackend>(other.NewBackend());
  fault->AddRule(SlowRule(fs::FaultOp::kSyncDir, 100, ".fsgate/staging"));
  RemoteMetadataBackend remote(std::move(fault));
  ASSERT_TRUE(remote.Mkdir("bkt").ok());
  auto ns = AsyncNamespace::Open(remote, options, metrics_);
  ASSERT_TRUE(ns.ok()) << ns.status().message();
  EXPECT_EQ((*ns)->pool().available(), 300u);
}

TEST_F(AsyncNamespaceTest, BacklogFullFallsBackToSync) {
  OpenWithBacklog(5, std::chrono::milliseconds(0));
  ASSERT_TRUE(Put("seed", "s").ok());
  SlowRenames(30);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Put("k" + std::to_string(i), "v").ok());
  EXPECT_GE(Metric("fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 1);
  ASSERT_TRUE(ns_->Drain().ok());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(OnDisk("k" + std::to_string(i)), "v");
}

// Back-pressure: with the backlog at its bound a new op waits for room and
// still goes async; the waits are counted, nothing falls back.
TEST_F(AsyncNamespaceTest, AFullBacklogMakesNewOpsWaitForRoom) {
  OpenWithBacklog(5, std::chrono::seconds(30));
  ASSERT_TRUE(Put("seed", "s").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(30);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Put("k" + std::to_string(i), "v").ok());
  for (int i = 0; i < 12; i += 2) ASSERT_TRUE(ns_->Remove(Node("k" + std::to_string(i)), {}).ok());
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 0);
  EXPECT_GE(Metric("fsgate_async_backlog_wait_seconds"), 1);
  EXPECT_EQ(Metric("fsgate_async_ops_total", {{"op", "create"}, {"result", "ok"}}) +
                metrics_.AsyncPending(metrics::AsyncOp::kCreate),
            12 + 1);  // all async, the seed's sync create counted applied too
  ASSERT_TRUE(ns_->Drain().ok());
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(OnDisk("k" + std::to_string(i)), i % 2 == 0 ? "<absent>" : "v") << i;
  }
}

// Room is held from the wait until the op is queued: threads racing for the
// last room never take the backlog past its bound, and none falls back.
TEST_F(AsyncNamespaceTest, RacingOpsNeverTakeTheBacklogPastItsBound) {
  OpenWithBacklog(4, std::chrono::seconds(30));
  ASSERT_TRUE(Put("seed", "s").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(2);
  std::atomic<bool> done{false};
  double most = 0;
  std::thread sampler([&] {
    while (!done) {
      most = std::max(most, metrics_.AsyncPending(metrics::AsyncOp::kCreate) +
                                metrics_.AsyncPending(metrics::AsyncOp::kUnlink));
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string key = "t" + std::to_string(t) + "/k" + std::to_string(i % 5);
        if (!Put(key, "v" + std::to_string(i)).ok()) ++failed;
        if (i % 3 == 2 && !ns_->Remove(Node(key), {}).ok()) ++failed;
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  sampler.join();
  EXPECT_EQ(failed, 0);
  EXPECT_LE(most, 4);
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 0);
  ASSERT_TRUE(ns_->Drain().ok());
}

// A backlog that stays full past AsyncOptions::backlog_wait: the op falls
// back (and is answered once applied) instead of waiting on.
TEST_F(AsyncNamespaceTest, ABacklogThatStaysFullFallsBackAfterTheWait) {
  OpenWithBacklog(2, std::chrono::milliseconds(100));
  ASSERT_TRUE(Put("seed", "s").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(1500);
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Put("b", "2").ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Put("c", "3").ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 1);
  EXPECT_EQ(Metric("fsgate_async_backlog_wait_seconds"), 1);
  EXPECT_EQ(Get("c"), "3");
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("c"), "3");
}

TEST_F(AsyncNamespaceTest, ConditionalWritesSeeTheOverlay) {
  OpenNs();
  ASSERT_TRUE(Put("seed", "s").ok());
  SlowRenames(20);
  ASSERT_TRUE(Put("c", "pending").ok());
  // The store's checks, as the engine sees them: on the current version.
  const WriteCheck none_match = [](const NodeView* current) {
    return current ? Status::Error(StatusCode::kFailedPrecondition, "exists") : Status::Ok();
  };
  auto r = Put("c", "again", {}, none_match);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  const WriteCheck match = [](const NodeView* current) {
    return current && EtagOf(*current) == MetaFor("pending").etag
               ? Status::Ok()
               : Status::Error(StatusCode::kFailedPrecondition, "no match");
  };
  ASSERT_TRUE(Put("c", "second", {}, match).ok());
  ASSERT_TRUE(ns_->Remove(Node("c"), {}).ok());
  ASSERT_TRUE(Put("c", "third", {}, none_match).ok());  // deleted as answered
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("c"), "third");
}

TEST_F(AsyncNamespaceTest, KeyConflictsWithPendingCreatesAreRefused) {
  OpenNs();
  ASSERT_TRUE(Put("x/seed", "s").ok());
  SlowRenames(20);
  ASSERT_TRUE(Put("x/file", "f").ok());
  auto r = Put("x/file/child", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  auto r2 = Put("x", "parent");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(ns_->Remove(Node("x/file"), {}).ok());
  ASSERT_TRUE(Put("x/file/child", "c").ok());  // fine once x/file is deleted as answered
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(OnDisk("x/file/child"), "c");
}

TEST_F(AsyncNamespaceTest, SyncHeaderWaitsForPendingOps) {
  OpenNs();
  ASSERT_TRUE(Put("h", "s").ok());
  SlowRenames(20);
  ASSERT_TRUE(Put("h", "async").ok());
  ASSERT_TRUE(ns_->Remove(Node("h"), OpOptions{.sync = true}).ok());
  EXPECT_EQ(OnDisk("h"), "<absent>");
  EXPECT_EQ(Get("h"), "<absent>");
  EXPECT_EQ(Metric("fsgate_sync_fallbacks_total", {{"reason", "header"}}), 1);
}

// DeleteObjects: the batch's async unlinks are answered after one journal
// write and sync, and readers see every key gone at once.
TEST_F(AsyncNamespaceTest, RemoveManySharesOneJournalSync) {
  OpenNs();
  std::vector<std::string> keys = PutKeys("m/k", 40, "v");
  ASSERT_TRUE(ns_->Drain().ok());
  SlowRenames(5);  // some of them still pending
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put(keys[i], "pending").ok());
  keys.push_back("m/never-there");
  keys.push_back("m/k3");  // repeated in the request: answered like the first
  const double commits = Metric("fsgate_commit_seconds");
  const auto results = ns_->RemoveMany(Nodes(keys), {});
  ASSERT_EQ(results.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(results[i].ok()) << keys[i];
  EXPECT_EQ(Metric("fsgate_commit_seconds"), commits + 1);
  for (const auto& key : keys) EXPECT_EQ(Get(key), "<absent>") << key;
  EXPECT_TRUE(ListKeys("m/").empty());
  ASSERT_TRUE(ns_->Drain().ok());
  for (const auto& key : keys) EXPECT_EQ(OnDisk(key), "<absent>") << key;
}

// A failed journal write answers every key of the batch with the error and
// deletes none of them.
TEST_F(AsyncNamespaceTest, RemoveManyJournalFailureDeletesNothing) {
  OpenNs();
  ASSERT_TRUE(Put("f/seed", "s").ok());
  ASSERT_TRUE(Put("f/a", "a").ok());
  ASSERT_TRUE(Put("f/b", "b").ok());
  ASSERT_TRUE(ns_->Drain().ok());
  fault_->AddRule({.op = fs::FaultOp::kWrite, .path_contains = ".log", .err = ENOSPC});
  const auto results = ns_->RemoveMany(Nodes({"f/a", "f/b", "f/missing"}), {});
  EXPECT_FALSE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  EXPECT_TRUE(results[2].ok());  // nothing to delete, nothing journaled
  EXPECT_EQ(Get("f/a"), "a");
  EXPECT_EQ(Get("f/b"), "b");
  EXPECT_EQ(OnDisk("f/a"), "a");
}

// A request that needs the on-disk name waits for that key only: its ops jump
// to the urgent workers instead of queueing behind a slow backlog.
TEST_F(AsyncNamespaceTest, SyncRequestDoesNotQueueBehindTheBacklog) {
  OpenWithWorkers(/*background=*/1, /*urgent=*/1);
  ASSERT_TRUE(Put("q/seed", "s").ok());
  ASSERT_TRUE(Put("s/seed", "s").ok());
  SlowRenames(300, "bkt/q/");
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Put("q/" + std::to_string(i), "b").ok());
  // Three ops on the key: it stays promoted from one to the next.
  for (const char* body : {"v1", "v2", "v3"}) ASSERT_TRUE(Put("s/k", body).ok());
  ASSERT_TRUE(ns_->Remove(Node("s/k"), OpOptions{.sync = true}).ok());
  EXPECT_EQ(OnDisk("s/k"), "<absent>");
  // The backlog ahead of s/k in answer order is still being applied.
  EXPECT_GE(Metric("fsgate_async_pending", {{"op", "create"}}), 4);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(Metric("fsgate_async_pending", {{"op", "create"}}), 0);
  EXPECT_EQ(OnDisk("q/5"), "b");
}

// Background workers yield the CPUs to requests: lowest priority, except the
// urgent ones.
TEST_F(AsyncNamespaceTest, BackgroundWorkersRunAtLowestPriority) {
  OpenWithWorkers(/*background=*/3, /*urgent=*/2);
  // Thread name -> nice values of the threads so named.
  auto read_threads = [] {
    std::map<std::string, std::vector<std::string>> nice_by_name;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      if (line.empty()) continue;  // the thread ended meanwhile
      const std::string name =
          line.substr(line.find('(') + 1, line.rfind(')') - line.find('(') - 1);
      // Fields after the ")" that ends the command name: state is field 3, nice field 19.
      std::istringstream fields(line.substr(line.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 19 && fields >> field; ++i) {
      }
      nice_by_name[name].push_back(field);
    }
    return nice_by_name;
  };
  // Each worker names itself and sets its priority once it runs: on a loaded
  // machine that can be after Open returns (2 of 3 were seen once in CI-like
  // runs), so the test waits for the names before it judges the priorities.
  auto nice_by_name = read_threads();
  for (int i = 0; i < 500; ++i) {
    if (nice_by_name["fsg-apply"] == std::vector<std::string>(3, "19") &&
        nice_by_name["fsg-apply-urg"].size() == 2 && nice_by_name["fsg-apply-sync"].size() == 1) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    nice_by_name = read_threads();
  }
  EXPECT_EQ(nice_by_name["fsg-apply"], std::vector<std::string>(3, "19"));
  ASSERT_EQ(nice_by_name["fsg-apply-urg"].size(), 2u);
  for (const std::string& nice : nice_by_name["fsg-apply-urg"]) {
    EXPECT_EQ(nice, std::to_string(getpriority(PRIO_PROCESS, 0)));
  }
  EXPECT_EQ(nice_by_name["fsg-apply-sync"].size(), 1u);
}

// In the spirit of xfstests generic/531: many threads creating, overwriting and
// deleting the same few keys and directories; afterwards tree, overlay and
// metrics agree.
TEST_F(AsyncNamespaceTest, ConcurrentStressOnFewKeys) {
  OpenNs();
  const std::vector<std::string> keys{"s/a", "s/b", "s/d1/x", "s/d1/y", "s/d2/z", "t"};
  constexpr int kThreads = 8, kOps = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kOps; ++i) {
        const std::string& key = keys[rng() % keys.size()];
        if (rng() % 3 == 0) {
          if (!ns_->Remove(Node(key), {}).ok()) ++failures;
        } else if (!Put(key, "t" + std::to_string(t) + "-" + std::to_string(i)).ok()) {
          ++failures;
        }
        if (i % 50 == 0) (void)ListKeys("s/");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  std::map<std::string, std::string> answered;
  for (const auto& k : keys) answered[k] = Get(k);
  std::vector<std::string> listed = ListKeys();
  ASSERT_TRUE(ns_->Drain().ok());
  for (const auto& k : keys) {
    EXPECT_EQ(OnDisk(k), answered[k]) << k;
    EXPECT_EQ(Get(k), answered[k]) << k;
  }
  EXPECT_EQ(ListKeys(), listed);
  EXPECT_EQ(ns_->overlay_size(), 0u);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kCreate), 0);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kUnlink), 0);
  EXPECT_EQ(Metric("fsgate_async_errors_total"), 0);
  EXPECT_EQ(Metric("fsgate_async_ops_total", {{"result", "ok"}}),
            Metric("fsgate_async_apply_seconds"));
}

TEST_F(AsyncNamespaceTest, PermanentUnlinkFailureShowsWhatTheFilesystemHolds) {
  OpenNs();
  ASSERT_TRUE(Put("u", "still-here").ok());
  fault_->AddRule({.op = fs::FaultOp::kUnlink,
                   .path_contains = "bkt/u",
                   .err = EACCES,
                   .count = -1,
                   .skip = 0,
                   .delay = std::chrono::milliseconds(100)});
  ASSERT_TRUE(ns_->Remove(Node("u"), {}).ok());
  EXPECT_EQ(Get("u"), "<absent>");  // as answered, while pending
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(Metric("fsgate_async_errors_total", {{"op", "unlink"}, {"errno", "EACCES"}}), 1);
  EXPECT_EQ(Get("u"), "still-here");  // resolved to the filesystem's truth
  EXPECT_NE(ns_->StatusJson().find("\"op\":\"unlink\""), std::string::npos);
  EXPECT_EQ(metrics_.AsyncPending(metrics::AsyncOp::kUnlink), 0);
}

TEST_F(AsyncNamespaceTest, PendingStreamedCreatesAreBounded) {
  auto options = TestOptions();
  options.max_pending_files = 2;
  options.backlog_wait = std::chrono::milliseconds(0);
  OpenNs(options);
  ASSERT_TRUE(Put("seed", "s").ok());
  SlowRenames(30);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(PutStreamed("big" + std::to_string(i), "data").ok());
  EXPECT_GE(Metric("fsgate_sync_fallbacks_total", {{"reason", "backlog_full"}}), 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("big" + std::to_string(i)), "data");
  ASSERT_TRUE(ns_->Drain().ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(OnDisk("big" + std::to_string(i)), "data");
}

TEST_F(AsyncNamespaceTest, FirstCreateUnderAFileIsAConflictNotAnAsyncError) {
  OpenNs();
  ASSERT_TRUE(Put("file", "f").ok());
  auto r = Put("file/child", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  auto missing = ns_->AcquireStaging();
  ASSERT_TRUE(missing.ok());
  auto nb = ns_->Publish(store::ObjectNode("nobucket", "k"), Staged(*missing, "x", true), {}, {});
  ASSERT_FALSE(nb.ok());
  EXPECT_EQ(nb.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(nb.status().Is(kReasonNoTopDir));
  ns_->ReleaseStaging(*missing);
  ASSERT_TRUE(ns_->Drain().ok());
  EXPECT_EQ(Metric("fsgate_async_errors_total"), 0);
  EXPECT_EQ(OnDisk("file"), "f");
}

// Restarting with --dirops sync after a crash under async dirops: the answered
// ops still in the journal are applied at open, and a later async start does
// not replay them over what was written in between.
TEST_F(AsyncNamespaceTest, SyncModeStartAppliesTheJournalAnAsyncRunLeft) {
  auto options = TestOptions();
  options.applier.max_attempts = 1000;  // still retrying at the crash
  OpenNs(options);
  ASSERT_TRUE(Put("j/seed", "s").ok());
  // The applier keeps failing (and retrying) both ops until the crash.
  fault_->AddRule(
      {.op = fs::FaultOp::kRename, .path_contains = "bkt/j/a", .err = EIO, .count = -1});
  fault_->AddRule(
      {.op = fs::FaultOp::kUnlink, .path_contains = "bkt/j/seed", .err = EIO, .count = -1});
  ASSERT_TRUE(Put("j/a", "answered").ok());
  ASSERT_TRUE(ns_->Remove(Node("j/seed"), {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ns_->Abandon();
  ns_.reset();
  ASSERT_EQ(OnDisk("j/a"), "<absent>");
  ASSERT_EQ(OnDisk("j/seed"), "s");
  fault_->ClearRules();
  {
    StoreOptions sync_mode;
    sync_mode.async_dirops = false;
    auto store = ObjectStore::Open(dir_.NewBackend(), sync_mode, metrics_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(OnDisk("j/a"), "answered");
    EXPECT_EQ(OnDisk("j/seed"), "<absent>");
  }
  // Another program rewrites the object while no async run is up.
  std::ofstream(std::filesystem::path(dir_.path()) / "bkt/j/a", std::ios::trunc) << "newer";
  OpenNs();
  EXPECT_EQ(OnDisk("j/a"), "newer");
}

// After a failed journal sync every write is refused until a restart; the
// namespace says so, and /readyz turns 503 on it (gateway/serve.cpp).
TEST_F(AsyncNamespaceTest, FailedJournalSyncShowsInWriteHealth) {
  OpenNs();
  ASSERT_TRUE(Put("h/seed", "s").ok());
  EXPECT_TRUE(ns_->WriteHealth().ok());
  ASSERT_TRUE(fault_->AddRuleSpec("fsync:EIO:path=.log"));
  EXPECT_FALSE(Put("h/lost", "x").ok());
  Status health = ns_->WriteHealth();
  EXPECT_FALSE(health.ok());
  EXPECT_EQ(health.err(), EIO);
  EXPECT_FALSE(Put("h/later", "y").ok());
}

}  // namespace
}  // namespace fsgate::dirops
