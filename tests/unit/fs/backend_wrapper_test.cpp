#include "fs/backend_wrapper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "fs/posix_backend.h"
#include "tests/support/temp_dir.h"

namespace fsgate::fs {
namespace {

using testing::ReadLocalFile;
using testing::TempDir;

// A decorator that changes one call (Unlink) and counts the file writes it
// sees; everything else must reach the posix backend through the base.
class CountingFile final : public FileWrapper {
 public:
  CountingFile(std::unique_ptr<File> target, std::atomic<int>& writes)
      : FileWrapper(std::move(target)), writes_(writes) {}
  Status PWrite(uint64_t offset, std::span<const char> data) override {
    ++writes_;
    return FileWrapper::PWrite(offset, data);
  }

 private:
  std::atomic<int>& writes_;
};

class RefusingUnlinks final : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    auto file = BackendWrapper::Open(path, mode);
    if (!file.ok()) return file.status();
    return std::unique_ptr<File>(std::make_unique<CountingFile>(std::move(*file), writes));
  }
  Status Unlink(const std::string&) override { return Status::Errno(EROFS, "refused"); }
  std::atomic<int> writes{0};
};

class BackendWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto posix = MakePosixBackend(dir_.path());
    ASSERT_TRUE(posix.ok()) << posix.status().message();
    backend_ = std::make_unique<RefusingUnlinks>(std::move(*posix));
  }
  TempDir dir_;
  std::unique_ptr<RefusingUnlinks> backend_;
};

TEST_F(BackendWrapperTest, ForwardsWhatTheDecoratorDoesNotOverride) {
  ASSERT_TRUE(backend_->Mkdir("d").ok());
  auto file = backend_->Open("d/f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->PWrite(0, std::string_view("hello")).ok());
  ASSERT_TRUE((*file)->SetXattr("user.t", "v").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(backend_->writes, 1);
  EXPECT_EQ(ReadLocalFile(dir_.path() + "/d/f"), "hello");
  EXPECT_EQ(*backend_->GetXattr("d/f", "user.t"), "v");
  EXPECT_EQ(backend_->Stat("d/f")->size, 5u);
  ASSERT_TRUE(backend_->Rename("d/f", "d/g").ok());
  EXPECT_EQ(backend_->ReadDir("d")->size(), 1u);
  EXPECT_TRUE(backend_->SyncDir("d").ok());
  EXPECT_EQ(backend_->Name(), backend_->target().Name());
  auto lock = backend_->LockExclusive("d/lock");  // posix has locks: no ENOTSUP
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  EXPECT_TRUE(backend_->target().LockExclusive("d/lock").status().IsErrno(EWOULDBLOCK));
  // The one call it changes.
  EXPECT_TRUE(backend_->Unlink("d/g").IsErrno(EROFS));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/d/g"));
}

TEST_F(BackendWrapperTest, CopyFromUnwrapsTheSourceFile) {
  auto src = backend_->Open("src", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(src.ok());
  ASSERT_TRUE((*src)->PWrite(0, std::string_view("0123456789")).ok());
  auto dst = backend_->Open("dst", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(dst.ok());
  // Both ends are wrapped: the posix backend must still see its own files.
  ASSERT_TRUE((*dst)->CopyFrom(**src, 2, 0, 5).ok());
  ASSERT_TRUE((*dst)->Close().ok());
  EXPECT_EQ(ReadLocalFile(dir_.path() + "/dst"), "23456");
}

}  // namespace
}  // namespace fsgate::fs
