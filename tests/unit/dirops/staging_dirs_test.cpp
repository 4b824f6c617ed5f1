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

// A scratch root with its "staging" directory.
struct StagingRoot {
  ScratchDir dir;
  std::unique_ptr<fs::Backend> backend = dir.NewBackend();
  StagingRoot() { EXPECT_TRUE(backend->Mkdir("staging").ok()); }
};

StagingDirs::Options GenerationsOf(size_t files, bool durable) {
  StagingDirs::Options options = StagingDirs::DurableIf(durable);
  options.files_per_generation = files;
  return options;
}

TEST(StagingDirs, RotatesGenerationsAndRemovesEmptiedOnes) {
  StagingRoot scratch;
  ScratchDir& dir = scratch.dir;
  auto& backend = scratch.backend;
  StagingDirs staging(*backend, "staging", GenerationsOf(3, /*durable=*/true));
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

// Directories are made in the generations as files are, and count towards them.
TEST(StagingDirs, MakesEmptyDirectoriesInTheCurrentGeneration) {
  StagingRoot root;
  StagingDirs staging(*root.backend, "staging", GenerationsOf(2, /*durable=*/false));
  auto file = staging.Create("d.");
  auto made = staging.CreateDir("dir.");
  ASSERT_TRUE(file.ok() && made.ok()) << made.status().message();
  EXPECT_EQ(made->dir, file->dir);
  EXPECT_TRUE(made->path.starts_with(made->dir + "/dir.")) << made->path;
  const stdfs::path on_disk = stdfs::path(root.dir.path()) / made->path;
  EXPECT_TRUE(stdfs::is_directory(on_disk));
  EXPECT_TRUE(stdfs::is_empty(on_disk));
  auto next = staging.CreateDir("dir.");
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next->dir, made->dir);  // the generation was full
}

// Creates racing a rotation never lose their directory: a generation is not
// removed between naming a file in it and creating that file.
TEST(StagingDirs, ConcurrentCreatesAcrossRotationsAllSucceed) {
  StagingRoot root;
  auto& backend = root.backend;
  StagingDirs staging(*backend, "staging", GenerationsOf(2, /*durable=*/false));
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

// Generations of 8 files, judged by windows of four creates.
StagingDirs::Options WindowsOfFour() {
  StagingDirs::Options options = StagingDirs::DurableIf(false);
  options.files_per_generation = 8;
  options.slow_create = std::chrono::microseconds(20);
  options.slow_run = 4;
  options.slower_than_best = 3;
  return options;
}

// The directory the next staging file is created in.
std::string DirOfNext(StagingDirs& staging) {
  auto created = staging.Create("d.");
  EXPECT_TRUE(created.ok()) << created.status().message();
  return created.ok() ? created->dir : std::string();
}

// A generation whose creates cost much more CPU than those of the one before
// (a group churned by recent deletes) is left after one window; one only a
// little slower, or slow after a slow one (the filesystem is that slow now),
// is kept.
TEST(StagingDirs, AGenerationMuchSlowerThanTheOneBeforeIsLeftEarly) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  // Fake clocks: each create costs `cost`, of CPU and of wall time (a local
  // filesystem).
  std::chrono::nanoseconds cost{std::chrono::microseconds(10)};
  StagingDirs::Options options = WindowsOfFour();
  options.thread_cpu_time = PairClock(&cost);
  options.wall_time = PairClock(&cost);
  StagingDirs staging(*backend, "staging", options);
  const std::string first = DirOfNext(staging);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(DirOfNext(staging), first);
  // A full generation; the next one's creates cost ten times as much. The
  // first slow one by the wall clock is not counted (it may have waited), so
  // its first window ends with the fifth create.
  cost = std::chrono::microseconds(100);
  const std::string second = DirOfNext(staging);
  EXPECT_NE(second, first);
  for (int i = 1; i < 5; ++i) EXPECT_EQ(DirOfNext(staging), second);
  const std::string third = DirOfNext(staging);
  EXPECT_NE(third, second);
  // As slow as the one before: kept to its end.
  for (int i = 1; i < 8; ++i) EXPECT_EQ(DirOfNext(staging), third);
  // Cheap again, then a little over slow_create but not three times the
  // cheapest window: kept.
  cost = std::chrono::microseconds(10);
  const std::string fourth = DirOfNext(staging);
  EXPECT_NE(fourth, third);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(DirOfNext(staging), fourth);
  cost = std::chrono::microseconds(25);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(DirOfNext(staging), fourth);
  EXPECT_NE(DirOfNext(staging), fourth);  // full
}

// The first generation measured has nothing to be compared with: slow, it is
// left after one window for a second look, and kept if that one is as slow.
TEST(StagingDirs, ASlowFirstGenerationIsLeftForASecondLook) {
  ScratchDir dir;
  auto backend = dir.NewBackend();
  ASSERT_TRUE(backend->Mkdir("staging").ok());
  std::chrono::nanoseconds cost{std::chrono::microseconds(100)};
  StagingDirs::Options options = WindowsOfFour();
  options.thread_cpu_time = PairClock(&cost);
  options.wall_time = PairClock(&cost);
  StagingDirs staging(*backend, "staging", options);
  const std::string first = DirOfNext(staging);  // slow by the wall clock: not counted
  for (int i = 1; i < 5; ++i) EXPECT_EQ(DirOfNext(staging), first);
  const std::string second = DirOfNext(staging);
  EXPECT_NE(second, first);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(DirOfNext(staging), second);
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
  StagingDirs::Options options = WindowsOfFour();
  options.files_per_generation = 1000;
  options.thread_cpu_time = [&] { return std::chrono::microseconds(20) * (++cpu_reads / 2); };
  options.wall_time = PairClock(&wall_cost);
  StagingDirs staging(*backend, "staging", options);
  const std::string first = DirOfNext(staging);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(DirOfNext(staging), first);
  EXPECT_EQ(cpu_reads, 0);
  wall_cost = std::chrono::microseconds(500);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(DirOfNext(staging), first);  // 20 us of CPU each
  EXPECT_EQ(cpu_reads, 2 * 9);                                        // all but the first slow one
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
