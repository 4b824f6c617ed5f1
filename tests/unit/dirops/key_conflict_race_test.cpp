// A file and a key beneath it ("a/b" and "a/b/f") PUT at the same time: only
// one may be answered, and the one answered must be what the namespace holds
// once the applier is done. The conflict check of one and the publish of the
// other must not interleave; a slow open of the staging file (after the check,
// before the overlay holds the create) widens that window to 300 ms.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "async_fixture.h"
#include "store/key_path.h"

namespace fsgate::dirops {
namespace {

using testing::AsyncFixture;

class KeyConflictRaceTest : public AsyncFixture {
 protected:
  // PUT `key` streamed through a staging file whose open in Publish (the
  // reader of the pending object) takes `ms` longer.
  Result<int64_t> PutSlowly(const std::string& key, const std::string& body, int ms) {
    auto staging = ns_->AcquireStaging();
    if (!staging.ok()) return staging.status();
    {
      auto f = backend_->Open(staging->path, fs::Backend::OpenMode::kReadWrite);
      if (!f.ok()) return f.status();
      EXPECT_TRUE((*f)->PWrite(0, body).ok());
      EXPECT_TRUE(store::WriteObjectMeta(**f, MetaFor(body)).ok());
    }
    fault_->AddRule({.op = fs::FaultOp::kOpen,
                     .path_contains = staging->path,
                     .err = 0,
                     .count = 1,
                     .skip = 0,
                     .delay = std::chrono::milliseconds(ms)});
    return ns_->Publish(Node(key), Staged(*staging, body, false), {}, {});
  }

  // With the directory a known (so "a/b" goes async): PUTs `slow` held 300 ms
  // after its check and, 100 ms in, `fast`. Each key's body is its name.
  std::pair<Status, Status> Race(const std::string& slow_key, const std::string& fast_key) {
    OpenNs();
    EXPECT_TRUE(Put("a/x", "x").ok());
    ns_->Drain();
    Status slow_put;
    std::thread slow([&] { slow_put = PutSlowly(slow_key, slow_key, 300).status(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Status fast_put = Put(fast_key, fast_key).status();
    slow.join();
    return {slow_put, fast_put};
  }

  // After both answers and a drain: at most one answered, nothing answered
  // lost, no failed apply.
  void ExpectOneWinner(const std::string& first, const Status& first_put, const std::string& second,
                       const Status& second_put) {
    ns_->Drain();
    EXPECT_FALSE(first_put.ok() && second_put.ok()) << first << " and " << second;
    EXPECT_TRUE(first_put.ok() || second_put.ok());
    for (const auto& [key, put] : {std::pair{first, &first_put}, std::pair{second, &second_put}}) {
      if (put->ok()) {
        EXPECT_EQ(Get(key), key) << key << " was answered";
        EXPECT_EQ(OnDisk(key), key) << key << " was answered";
      } else {
        // The engine's answer; the store turns it into the key-conflict S3 error.
        EXPECT_TRUE(put->Is(StatusCode::kAlreadyExists)) << key << ": " << put->message();
        EXPECT_EQ(Get(key), "<absent>");
      }
    }
    EXPECT_EQ(Metric("fsgate_async_ops_total", {{"op", "create"}, {"result", "error"}}), 0);
  }
};

TEST_F(KeyConflictRaceTest, FileAndKeyBeneathItNeverBothAnswered) {
  auto [file, below] = Race("a/b", "a/b/f");
  ExpectOneWinner("a/b", file, "a/b/f", below);
}

TEST_F(KeyConflictRaceTest, KeyBeneathAFileNeverBothAnswered) {
  auto [below, file] = Race("a/b/f", "a/b");
  ExpectOneWinner("a/b", file, "a/b/f", below);
}

}  // namespace
}  // namespace fsgate::dirops
