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
