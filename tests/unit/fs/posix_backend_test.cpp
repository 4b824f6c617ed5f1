#include "fs/posix_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace fsgate::fs
