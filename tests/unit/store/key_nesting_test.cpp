// --key-conflicts nest (store/nested_key.h): the mapping of a nested object to
// its hidden name and of pending nodes to keys, and the move of a file into its
// directory over the real posix backend, including what a crash leaves of it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fs/backend_wrapper.h"
#include "store/key_path.h"
#include "store/nest_locks.h"
#include "store/nested_key.h"
#include "store/store_layout.h"
#include "tests/support/power_cut_backend.h"
#include "tests/unit/store/store_test_util.h"

namespace fsgate::store {
namespace {

using testing::ReadLocalFile;
using testing::StoreTest;

TEST(NestedKeyTest, TheNestedObjectIsAHiddenFileInItsDirectory) {
  dirops::NodePath node = NestedNode("bkt", "a/b");
  EXPECT_EQ(node.path, "bkt/a/b/.fsgate-object");
  EXPECT_EQ(node.kind, dirops::NodeKind::kFile);
  EXPECT_EQ(NestTempPath(".fsgate/gw/g1", "bkt", "a/b"), ".fsgate/gw/g1/nest/bkt/a/b");
}

TEST(NestedKeyTest, NoKeyMapsToTheHiddenName) {
  for (const char* key :
       {".fsgate-object", "a/.fsgate-object", "a/.fsgate-object/b", ".fsgate-object/"}) {
    Status s = ValidateKey(key);
    EXPECT_FALSE(s.ok()) << key;
    EXPECT_EQ(s.reason(), "InvalidArgument") << key;
  }
  EXPECT_TRUE(ValidateKey("a/.fsgate-objects").ok());
  EXPECT_TRUE(ValidateKey("a/x.fsgate-object").ok());
}

dirops::PendingNode Create(std::string name) { return {std::move(name), dirops::NodeView{}}; }
dirops::PendingNode Unlink(std::string name) { return {std::move(name), std::nullopt}; }

std::vector<std::pair<std::string, bool>> Shown(const std::vector<dirops::PendingNode>& nodes) {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& [name, view] : nodes) out.emplace_back(name, view.has_value());
  return out;
}

TEST(NestedKeyTest, PendingNodesAreListedByKeyInKeyOrder) {
  // The engine's name order: "a!" < "a/.fsgate-object" < "a/b"; the key "a"
  // goes first.
  auto keys =
      PendingKeys({Create("a!"), Create("a/.fsgate-object"), Create("a/b"), Create("b")}, "", "");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{
                             {"a", true}, {"a!", true}, {"a/b", true}, {"b", true}}));
  // A pending unlink of the file "a" and a pending create of the nested "a":
  // the create is the key's state, whichever name sorts first.
  keys = PendingKeys({Unlink("a"), Create("a/.fsgate-object")}, "", "");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{{"a", true}}));
  keys = PendingKeys({Create("a"), Unlink("a/.fsgate-object")}, "", "");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{{"a", true}}));
  // The engine chose by name: a nested key outside the prefix or at the marker goes.
  keys = PendingKeys({Create("a/.fsgate-object"), Create("a/b")}, "a/", "");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{{"a/b", true}}));
  keys = PendingKeys({Create("a/.fsgate-object"), Create("a/b")}, "", "a");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{{"a/b", true}}));
  // Nothing nested: the engine's answer as it is.
  keys = PendingKeys({Create("x"), Unlink("y")}, "", "");
  EXPECT_EQ(Shown(keys), (std::vector<std::pair<std::string, bool>>{{"x", true}, {"y", false}}));
}

// A reader that missed a key under both names looks again when a move ran
// between its looks, not only while one is in flight: the move may have taken
// the file from its name before the first look and linked it at the nested
// name after the second (a GET answered NoSuchKey for a key being nested).
TEST(NestLocksTest, AReaderLooksAgainAfterAMoveThatEndedBetweenItsLooks) {
  NestLocks locks;
  const uint64_t epoch = locks.MoveEpoch();
  EXPECT_FALSE(locks.WaitMove("bkt", epoch));  // no move: the miss stands
  { auto move = locks.LockMove("bkt"); }
  EXPECT_TRUE(locks.WaitMove("bkt", epoch));
  EXPECT_FALSE(locks.WaitMove("bkt", locks.MoveEpoch()));
}

class KeyNestingTest : public StoreTest {
 protected:
  void SetUp() override {
    nest_keys_ = true;
    fsync_ = true;
    StoreTest::SetUp();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
  }
  std::string Temp(const std::string& key) { return Root(".fsgate/gw/test/nest/bkt/" + key); }
};

TEST_F(KeyNestingTest, TheFileMovesIntoItsDirectoryWhenAKeyBeneathArrives) {
  ASSERT_TRUE(Put("bkt", "a", "file a").ok());
  ASSERT_TRUE(Put("bkt", "a/b", "file a/b").ok());
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/.fsgate-object")), "file a");
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/b")), "file a/b");
  EXPECT_FALSE(std::filesystem::exists(Temp("a")));
  EXPECT_EQ(*Get("bkt", "a"), "file a");
  EXPECT_EQ(*Get("bkt", "a/b"), "file a/b");
  ASSERT_TRUE(Put("bkt", "a!", "x").ok());
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"a", "a!", "a/b"}));
}

TEST_F(KeyNestingTest, AKeyWhoseDirectoryExistsGoesInsideIt) {
  ASSERT_TRUE(Put("bkt", "d/e", "e").ok());
  ASSERT_TRUE(Put("bkt", "d", "d").ok());
  EXPECT_EQ(ReadLocalFile(Root("bkt/d/.fsgate-object")), "d");
  // Its deletion leaves what is under "d/"; the last key under it takes the
  // directory along.
  ASSERT_TRUE(store_->DeleteObject("bkt", "d", false).ok());
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/d/.fsgate-object")));
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"d/e"}));
  ASSERT_TRUE(store_->DeleteObject("bkt", "d/e", false).ok());
  EXPECT_FALSE(std::filesystem::exists(Root("bkt/d")));
}

// The directory a file leaves when it moves into its own directory is empty
// for a moment, and a prune (the applier's, which does not wait for the move)
// may take it before the move syncs it. Here the backend plays that prune: it
// removes "bkt/t" just before its sync. The move goes on (the pruner makes the
// removal durable) instead of answering the PUT 500 (open bkt/t, ENOENT: a
// nesting crash storm, 1 of 3 runs under load).
class PruningBackend : public fs::BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Status SyncDir(const std::string& path) override {
    if (armed_ && path == "bkt/t") {
      armed_ = false;
      if (Status s = target().Rmdir(path); !s.ok()) return s;
    }
    return BackendWrapper::SyncDir(path);
  }
  bool armed_ = false;
};

class KeyNestingPruneTest : public KeyNestingTest {
 protected:
  std::unique_ptr<fs::Backend> WrapBackend(std::unique_ptr<fs::Backend> backend) override {
    auto pruning = std::make_unique<PruningBackend>(std::move(backend));
    pruning_ = pruning.get();
    return pruning;
  }
  PruningBackend* pruning_ = nullptr;  // owned by store_
};

TEST_F(KeyNestingPruneTest, AMoveGoesOnWhenTheDirectoryItLeftIsPruned) {
  ASSERT_TRUE(Put("bkt", "t/n", "file n").ok());
  pruning_->armed_ = true;
  auto put = Put("bkt", "t/n/a", "file a");
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_FALSE(pruning_->armed_);  // the prune happened
  EXPECT_EQ(*Get("bkt", "t/n"), "file n");
  EXPECT_EQ(*Get("bkt", "t/n/a"), "file a");
  EXPECT_EQ(ReadLocalFile(Root("bkt/t/n/.fsgate-object")), "file n");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"t/n", "t/n/a"}));
}

// A crash between the two renames of the move: the file is only at its
// temporary name. The next start nests it, whatever was made under "a/".
TEST_F(KeyNestingTest, AStartFinishesAMoveACrashCutShort) {
  ASSERT_TRUE(Put("bkt", "a", "file a").ok());
  std::filesystem::create_directories(std::filesystem::path(Temp("a")).parent_path());
  std::filesystem::rename(Root("bkt/a"), Temp("a"));
  store_.reset();  // as after kill -9 (the store has nothing pending in sync mode)
  Reopen();
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/.fsgate-object")), "file a");
  EXPECT_FALSE(std::filesystem::exists(Temp("a")));
  EXPECT_EQ(*Get("bkt", "a"), "file a");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"a"}));
  ASSERT_TRUE(Put("bkt", "a/b", "b").ok());
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"a", "a/b"}));
}

// A power cut may keep both names of the first rename: the file is in place
// under its old name, and the temporary one goes.
TEST_F(KeyNestingTest, ASecondNameOfAFileInPlaceIsDropped) {
  ASSERT_TRUE(Put("bkt", "a", "file a").ok());
  std::filesystem::create_directories(std::filesystem::path(Temp("a")).parent_path());
  ASSERT_EQ(::link(Root("bkt/a").c_str(), Temp("a").c_str()), 0);
  store_.reset();
  Reopen();
  EXPECT_FALSE(std::filesystem::exists(Temp("a")));
  EXPECT_EQ(ReadLocalFile(Root("bkt/a")), "file a");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"a"}));
}

// Versioned (nested_key.h): the latest "a" at its hidden name, the older
// versions of "a" and of "a/b" in their own history directories, "a/b"'s a
// subdirectory of "a"'s.
TEST_F(KeyNestingTest, AVersionedNestedKeyKeepsItsHistoryBesideTheKeysUnderIt) {
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  auto a1 = Put("bkt", "a", "a1");
  auto b1 = Put("bkt", "a/b", "b1");
  auto a2 = Put("bkt", "a", "a2");
  auto b2 = Put("bkt", "a/b", "b2");
  ASSERT_TRUE(a1.ok() && b1.ok() && a2.ok() && b2.ok());
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/.fsgate-object")), "a2");
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/b")), "b2");
  EXPECT_EQ(ReadLocalFile(Root(".fsgate/versions/bkt/a/" + a1->version_id)), "a1");
  EXPECT_EQ(ReadLocalFile(Root(".fsgate/versions/bkt/a/b/" + b1->version_id)), "b1");
  auto listed = store_->ListObjectVersions("bkt", {});
  ASSERT_TRUE(listed.ok());
  std::vector<std::pair<std::string, std::string>> versions;
  for (const auto& v : listed->versions) versions.emplace_back(v.key, v.meta.version_id);
  EXPECT_EQ(versions, (std::vector<std::pair<std::string, std::string>>{{"a", a2->version_id},
                                                                        {"a", a1->version_id},
                                                                        {"a/b", b2->version_id},
                                                                        {"a/b", b1->version_id}}));
}

// A crash that left a nested key's latest only in its history (a backend
// without hard links renames it there before linking the new one): the next
// unclean start puts it back at the nested name, "a/" being a directory.
TEST_F(KeyNestingTest, AnUncleanStartPutsANestedLatestBackAtItsHiddenName) {
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  ASSERT_TRUE(Put("bkt", "a", "a1").ok());
  ASSERT_TRUE(Put("bkt", "a/b", "b1").ok());
  auto a2 = Put("bkt", "a", "a2");
  ASSERT_TRUE(a2.ok());
  store_.reset();
  std::filesystem::rename(Root("bkt/a/.fsgate-object"),
                          Root(".fsgate/versions/bkt/a/" + a2->version_id));
  std::filesystem::remove(Root(layout::kCleanShutdown));
  Reopen();
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/.fsgate-object")), "a2");
  EXPECT_FALSE(std::filesystem::exists(Root(".fsgate/versions/bkt/a/" + a2->version_id)));
  EXPECT_EQ(*Get("bkt", "a"), "a2");
  EXPECT_EQ(*Get("bkt", "a/b"), "b1");
}

// A nest move cut short in a versioned bucket: the file with its version id
// is finished into place before the start looks for missing latest versions.
TEST_F(KeyNestingTest, AMoveCutShortInAVersionedBucketKeepsTheLatestVersion) {
  ASSERT_TRUE(store_->PutBucketVersioning("bkt", "Enabled").ok());
  ASSERT_TRUE(Put("bkt", "a", "a1").ok());
  auto a2 = Put("bkt", "a", "a2");
  ASSERT_TRUE(a2.ok());
  store_.reset();
  std::filesystem::create_directories(std::filesystem::path(Temp("a")).parent_path());
  std::filesystem::rename(Root("bkt/a"), Temp("a"));
  std::filesystem::remove(Root(layout::kCleanShutdown));
  Reopen();
  EXPECT_EQ(ReadLocalFile(Root("bkt/a/.fsgate-object")), "a2");
  auto found = store_->GetObjectVersion("bkt", "a", "");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ((*found)->meta().version_id, a2->version_id);
  auto listed = store_->ListObjectVersions("bkt", {});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->versions.size(), 2u);
}

TEST_F(KeyNestingTest, RejectModeKeepsRefusingTheConflict) {
  nest_keys_ = false;
  Reopen();
  ASSERT_TRUE(Put("bkt", "r", "r").ok());
  auto put = Put("bkt", "r/s", "s");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().reason(), "InvalidRequest");
  EXPECT_FALSE(std::filesystem::exists(Temp("r")));
}

// The move's renames are durable once PUT "a/b" is answered: a power cut
// right after it keeps both objects (fs::PowerCutBackend drops every name
// change whose directory was not synced).
TEST_F(KeyNestingTest, APowerCutAfterTheAnswerKeepsBothObjects) {
  store_.reset();
  auto posix = fs::MakePosixBackend(dir_.path());
  ASSERT_TRUE(posix.ok());
  auto cut = std::make_unique<fs::PowerCutBackend>(std::move(*posix));
  fs::PowerCutBackend* power = cut.get();
  ASSERT_TRUE(power->SyncFs().ok());
  StoreOptions options;
  options.async_dirops = false;
  options.gateway_id = "test";
  options.nest_key_conflicts = true;
  auto store = ObjectStore::Open(std::move(cut), options, metrics_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  store_ = std::move(*store);
  ASSERT_TRUE(Put("bkt", "a", "file a").ok());
  ASSERT_TRUE(Put("bkt", "a/b", "file a/b").ok());
  ASSERT_TRUE(power->SimulatePowerCut().ok());
  Reopen();  // over the rolled-back directory
  EXPECT_EQ(*Get("bkt", "a"), "file a");
  EXPECT_EQ(*Get("bkt", "a/b"), "file a/b");
  EXPECT_EQ(AllKeys("bkt"), (std::vector<std::string>{"a", "a/b"}));
}

}  // namespace
}  // namespace fsgate::store
