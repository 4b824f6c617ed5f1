#include "dirops/staging_dirs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <utility>

#include "async_test_util.h"

namespace fsgate::dirops {
namespace {

using testing::ScratchDir;
namespace stdfs = std::filesystem;

std::set<std::string> Generations(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST(StagingDirs, RotatesGenerationsAndRemovesEmptiedOnes) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  StagingDirs::Options options = StagingDirs::DurableIf(true);
  options.files_per_generation = 3;
  StagingDirs staging(*backend, "staging", options);
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i) {
    auto created = staging.Create("d.");
    ASSERT_TRUE(created.ok()) << created.status().message();
    EXPECT_TRUE(created->path.starts_with(created->dir + "/d.")) << created->path;
    EXPECT_TRUE(created->dir.starts_with("staging/g.")) << created->dir;
    EXPECT_TRUE(stdfs::is_regular_file(stdfs::path(dir.path()) / created->path));
    paths.push_back(created->path);
  }
  const stdfs::path root = stdfs::path(dir.path()) / "staging";
  ASSERT_EQ(Generations(root).size(), 1u);
  // The fourth file starts a second generation; the first still holds files.
  auto fourth = staging.Create("d.");
  ASSERT_TRUE(fourth.ok());
  EXPECT_NE(fourth->dir, stdfs::path(paths[0]).parent_path().string());
  EXPECT_EQ(Generations(root).size(), 2u);
  // Emptied (its files published elsewhere), the first goes at the next rotation.
  for (const auto& p : paths) ASSERT_TRUE(backend->Unlink(p).ok());
  std::vector<std::string> later;
  for (int i = 0; i < 3; ++i) {
    auto created = staging.Create("d.");
    ASSERT_TRUE(created.ok());
    later.push_back(created->path);
  }
  // Emptied too, the second goes at the rotation after.
  ASSERT_TRUE(backend->Unlink(fourth->path).ok());
  for (const auto& p : later) ASSERT_TRUE(backend->Unlink(p).ok());
  const auto gens = Generations(root);
  EXPECT_EQ(gens.size(), 2u);  // the second (holding a file then) and the third
  EXPECT_TRUE(gens.contains(stdfs::path(fourth->dir).filename().string()));
  EXPECT_FALSE(gens.contains(stdfs::path(paths[0]).parent_path().filename().string()));
}

// Creates racing a rotation never lose their directory: a generation is not
// removed between naming a file in it and creating that file.
TEST(StagingDirs, ConcurrentCreatesAcrossRotationsAllSucceed) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  StagingDirs::Options options = StagingDirs::DurableIf(false);
  options.files_per_generation = 2;
  StagingDirs staging(*backend, "staging", options);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto created = staging.Create("t.");
        if (!created.ok()) {
          ++failures;
          continue;
        }
        (void)backend->Unlink(created->path);  // published at once: generations empty fast
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// A fake clock read twice a create: each create costs `*cost`.
std::function<std::chrono::nanoseconds()> PairClock(const std::chrono::nanoseconds* cost) {
  auto state = std::make_shared<std::pair<std::chrono::nanoseconds, bool>>();
  return [state, cost] {
    if (state->second) state->first += *cost;
    state->second = !state->second;
    return state->first;
  };
}

// Four creates slower than 150 us in a row end a generation.
StagingDirs::Options SlowRunOfFour() {
  StagingDirs::Options options = StagingDirs::DurableIf(false);
  options.files_per_generation = 1000;
  options.slow_create = std::chrono::microseconds(150);
  options.slow_run = 4;
  return options;
}

// The directory the next staging file is created in.
std::string DirOfNext(StagingDirs& staging) {
  auto created = staging.Create("d.");
  EXPECT_TRUE(created.ok()) << created.status().message();
  return created.ok() ? created->dir : std::string();
}

// Creates that keep costing more CPU than a fresh group ever takes (a group
// churned by deletes) end the generation early; one cheap create resets the count.
TEST(StagingDirs, AGenerationWhoseCreatesStaySlowIsLeftEarly) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  // Fake clocks: each create costs `cost`, of CPU and of wall time (a local
  // filesystem).
  std::chrono::nanoseconds cost{std::chrono::microseconds(20)};
  StagingDirs::Options options = SlowRunOfFour();
  options.thread_cpu_time = PairClock(&cost);
  options.wall_time = PairClock(&cost);
  StagingDirs staging(*backend, "staging", options);
  const std::string first = DirOfNext(staging);
  cost = std::chrono::microseconds(500);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(DirOfNext(staging), first);
  cost = std::chrono::microseconds(20);  // one cheap create: the run starts over
  EXPECT_EQ(DirOfNext(staging), first);
  cost = std::chrono::microseconds(500);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(DirOfNext(staging), first);
  // Four slow ones in a row: the next create goes to a new generation.
  cost = std::chrono::microseconds(20);
  const std::string second = DirOfNext(staging);
  EXPECT_NE(second, first);
  EXPECT_EQ(DirOfNext(staging), second);
}

// The thread's CPU clock (a syscall) is read only while creates are slow by
// the wall clock; creates slow by the wall clock alone (a remote filesystem)
// never end a generation.
TEST(StagingDirs, CpuClockIsReadOnlyWhileCreatesAreSlowByTheWallClock) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  std::chrono::nanoseconds wall_cost{std::chrono::microseconds(20)};
  int cpu_reads = 0;
  StagingDirs::Options options = SlowRunOfFour();
  options.thread_cpu_time = [&] { return std::chrono::microseconds(20) * (++cpu_reads / 2); };
  options.wall_time = PairClock(&wall_cost);
  StagingDirs staging(*backend, "staging", options);
  const std::string first = DirOfNext(staging);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(DirOfNext(staging), first);
  EXPECT_EQ(cpu_reads, 0);
  wall_cost = std::chrono::microseconds(500);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(DirOfNext(staging), first);
  EXPECT_EQ(cpu_reads, 2 * 9);  // all but the first slow one
  wall_cost = std::chrono::microseconds(20);
  EXPECT_EQ(DirOfNext(staging), first);
  EXPECT_EQ(DirOfNext(staging), first);
  EXPECT_EQ(cpu_reads, 2 * 10);  // the first fast one, measured
}

// On ext4 the staging directory carries FS_TOPDIR_FL, so the allocator spreads
// generation directories (and the inodes created in them) over the filesystem.
TEST(StagingDirs, StagingDirectoryIsMarkedAsATopDirectoryWhereSupported) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  const std::string path = dir.path() + "/staging";
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  int flags = 0;
  const bool supported = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (!supported) {
    ::close(fd);
    GTEST_SKIP() << "the scratch filesystem has no inode flags (not ext*): nothing to check";
  }
  ASSERT_EQ(flags & FS_TOPDIR_FL, 0);
  StagingDirs staging(*backend, "staging", false);
  ASSERT_TRUE(staging.Create("t.").ok());
  ASSERT_EQ(::ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
  ::close(fd);
  EXPECT_NE(flags & FS_TOPDIR_FL, 0);
}

}  // namespace
}  // namespace fsgate::dirops
