// Concurrent creates and deletes in shared directories: the prune of one
// DELETE must never break a concurrent PUT into the same directory chain.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_test_util.h"

namespace fsgate::store {
namespace {

using testing::StoreTest;

class ConcurrencyTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }
};

TEST_F(ConcurrencyTest, PutRacesPruneOfTheSameDirectories) {
  std::atomic<int> failures{0};
  auto worker = [&](const std::string& name) {
    for (int i = 0; i < 300; ++i) {
      std::string key = "p/q/r/" + name;
      auto put = Put("bkt", key, name);
      if (!put.ok()) {
        ADD_FAILURE() << "put " << key << ": " << put.status().code() << " "
                      << put.status().message();
        ++failures;
        return;
      }
      auto got = Get("bkt", key);
      if (!got.ok() || *got != name) {
        ADD_FAILURE() << "get " << key << " after put";
        ++failures;
        return;
      }
      if (!store_->DeleteObject("bkt", key).ok()) ++failures;
    }
  };
  std::vector<std::thread> threads;
  for (const char* name : {"a", "b", "c", "d"}) threads.emplace_back(worker, name);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(AllKeys("bkt").empty());
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/p")));
}

TEST_F(ConcurrencyTest, ConditionalCreateHasOneWinner) {
  WriteConditions none_match;
  none_match.if_none_match = "*";
  std::atomic<int> winners{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto put = Put("bkt", "lock", std::to_string(t), {}, none_match);
      if (put.ok()) ++winners;
      if (put.status().Is(s3err::kPreconditionFailed)) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

}  // namespace
}  // namespace fsgate::store
