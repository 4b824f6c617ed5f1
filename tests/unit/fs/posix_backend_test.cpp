#include "fs/posix_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace fsgate::fs {
namespace {

using testing::TempDir;

class PosixBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(root_.path() + "/r");
    auto backend = MakePosixBackend(root_.path() + "/r");
    ASSERT_TRUE(backend.ok()) << backend.status().message();
    backend_ = std::move(*backend);
  }
  std::string Local(const std::string& rel) { return root_.path() + "/r/" + rel; }

  TempDir root_;
  std::unique_ptr<Backend> backend_;
};

// The Backend contract itself is checked in backend_conformance_test.cpp.

TEST_F(PosixBackendTest, OpenDoesNotHangOnFifo) {
  ASSERT_EQ(::mkfifo(Local("fifo").c_str(), 0644), 0);
  EXPECT_FALSE(backend_->Open("fifo", Backend::OpenMode::kRead).ok());
}

TEST(PosixBackend, MissingRootIsAClearError) {
  auto backend = MakePosixBackend("/nonexistent/fsgate-root");
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.status().message().find("/nonexistent/fsgate-root"), std::string::npos);
}

// Gateways started on one root at once (failover survivors) each probe its
// xattr support; with one shared probe name they removed each other's and one
// refused to start.
TEST(PosixBackend, RootsOpenedAtOnceAllPassTheXattrProbe) {
  TempDir root;
  std::atomic<int> refused{0};
  std::vector<std::thread> opens;
  for (int t = 0; t < 4; ++t) {
    opens.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!MakePosixBackend(root.path()).ok()) ++refused;
      }
    });
  }
  for (std::thread& t : opens) t.join();
  EXPECT_EQ(refused.load(), 0);
}

// A pinned directory (a staging generation) resolves its entries from its
// open handle: creates, opens, stats, renames and unlinks there work as path
// calls do (a symlink in it is still not followed), and its Rmdir lets the
// handle go, so a directory made again at the path gets the later files, not
// the removed one.
TEST_F(PosixBackendTest, PinnedDirectoryServesItsEntriesUntilItsRmdir) {
  ASSERT_TRUE(backend_->Mkdir("s").ok());
  ASSERT_TRUE(backend_->Mkdir("s/g").ok());
  ASSERT_TRUE(backend_->Mkdir("d").ok());
  backend_->PinDir("s/g");
  auto made = backend_->Open("s/g/f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(made.ok()) << made.status().message();
  ASSERT_TRUE((*made)->PWrite(0, std::string_view("body")).ok());
  ASSERT_TRUE((*made)->Close().ok());
  EXPECT_TRUE(
      backend_->Open("s/g/f", Backend::OpenMode::kCreateExclusive).status().IsErrno(EEXIST));
  auto st = backend_->Stat("s/g/f");
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_EQ(st->size, 4u);
  FileStat linked;
  ASSERT_TRUE(backend_->RenameAndStat("s/g/f", "d/x", &linked).ok());
  EXPECT_EQ(linked.ino, st->ino);
  EXPECT_TRUE(std::filesystem::is_regular_file(Local("d/x")));
  std::filesystem::create_symlink(root_.path() + "/outside", Local("s/g/link"));
  EXPECT_FALSE(backend_->Open("s/g/link", Backend::OpenMode::kCreateTruncate).ok());
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/outside"));
  ASSERT_TRUE(backend_->Unlink("s/g/link").ok());
  ASSERT_TRUE(backend_->Rmdir("s/g").ok());
  ASSERT_TRUE(backend_->Mkdir("s/g").ok());
  auto again = backend_->Open("s/g/f2", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(std::filesystem::is_regular_file(Local("s/g/f2")));
}

}  // namespace
// The gateway's lock: one holder at a time, even within one process (another
// open of the file is another holder), let go with the lock object; a symlink
// is not followed to lock something outside the root.
TEST_F(PosixBackendTest, LockExclusiveHasOneHolderUntilReleased) {
  ASSERT_TRUE(backend_->Mkdir("gw").ok());
  auto first = backend_->LockExclusive("gw/lock");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(std::filesystem::is_regular_file(Local("gw/lock")));
  EXPECT_TRUE(backend_->LockExclusive("gw/lock").status().IsErrno(EWOULDBLOCK));
  // Closing another descriptor of the file (a plain fcntl lock would go with it) keeps it.
  { auto reader = backend_->Open("gw/lock", Backend::OpenMode::kRead); }
  EXPECT_TRUE(backend_->LockExclusive("gw/lock").status().IsErrno(EWOULDBLOCK));
  EXPECT_TRUE(backend_->LockExclusive("gw/other").ok());
  first->reset();
  EXPECT_TRUE(backend_->LockExclusive("gw/lock").ok());
  std::filesystem::create_symlink(root_.path() + "/outside", Local("gw/link"));
  EXPECT_FALSE(backend_->LockExclusive("gw/link").ok());
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/outside"));
}

}  // namespace fsgate::fs
