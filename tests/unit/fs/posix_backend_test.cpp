#include "fs/posix_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/temp_dir.h"

namespace fsgate::fs {
namespace {

using testing::ReadLocalFile;
using testing::TempDir;
using testing::WriteLocalFile;

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

TEST_F(PosixBackendTest, RefusesBadPaths) {
  for (const char* bad : {"/etc/passwd", "..", "../x", "a/../../x", "a//b", "./a", "a/.", "a/"}) {
    EXPECT_TRUE(backend_->Stat(bad).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(backend_->Open(bad, Backend::OpenMode::kCreateTruncate).status().IsErrno(EINVAL))
        << bad;
    EXPECT_TRUE(backend_->Mkdir(bad).IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(backend_->Unlink(bad).IsErrno(EINVAL)) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/x"));
}

TEST_F(PosixBackendTest, NeverFollowsSymlinks) {
  WriteLocalFile(root_.path() + "/outside/secret", "secret");
  std::filesystem::create_directory_symlink(root_.path() + "/outside", Local("link"));
  std::filesystem::create_symlink(root_.path() + "/outside/secret", Local("filelink"));
  // Intermediate component.
  EXPECT_FALSE(backend_->Open("link/secret", Backend::OpenMode::kRead).ok());
  EXPECT_FALSE(backend_->Stat("link/secret").ok());
  EXPECT_FALSE(backend_->Open("link/new", Backend::OpenMode::kCreateExclusive).ok());
  EXPECT_FALSE(backend_->Mkdir("link/newdir").ok());
  EXPECT_FALSE(backend_->ReadDir("link").ok());
  EXPECT_FALSE(backend_->SetXattr("link", "user.x", "1").ok());
  EXPECT_FALSE(backend_->Rename("filelink", "link/moved").ok());
  // Last component.
  EXPECT_FALSE(backend_->Open("filelink", Backend::OpenMode::kRead).ok());
  EXPECT_FALSE(backend_->Open("filelink", Backend::OpenMode::kCreateTruncate).ok());
  auto st = backend_->Stat("filelink");
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->is_regular);
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/outside/new"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/outside/newdir"));
  EXPECT_EQ(ReadLocalFile(root_.path() + "/outside/secret"), "secret");
}

TEST_F(PosixBackendTest, FileRoundTripXattrsAndCopy) {
  ASSERT_TRUE(backend_->Mkdir("d").ok());
  EXPECT_TRUE(backend_->Mkdir("d").IsErrno(EEXIST));
  auto file = backend_->Open("d/f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(backend_->Open("d/f", Backend::OpenMode::kCreateExclusive).status().IsErrno(EEXIST));
  ASSERT_TRUE((*file)->PWrite(0, std::string_view("hello world")).ok());
  ASSERT_TRUE((*file)->SetXattr("user.k", "v").ok());
  EXPECT_EQ(*(*file)->GetXattr("user.k"), "v");
  EXPECT_TRUE((*file)->GetXattr("user.missing").status().IsErrno(ENODATA));
  auto names = (*file)->ListXattrs();
  ASSERT_TRUE(names.ok());
  EXPECT_NE(std::find(names->begin(), names->end(), "user.k"), names->end());
  ASSERT_TRUE((*file)->Sync().ok());

  auto copy = backend_->Open("d/g", Backend::OpenMode::kCreateTruncate);
  ASSERT_TRUE(copy.ok());
  ASSERT_TRUE((*copy)->CopyFrom(**file, 6, 0, 5).ok());
  ASSERT_TRUE((*copy)->CopyFrom(**file, 0, 5, 5).ok());
  ASSERT_TRUE((*copy)->Close().ok());
  EXPECT_EQ(ReadLocalFile(Local("d/g")), "worldhello");

  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  ASSERT_TRUE((*file)->PWrite(0, big).ok());
  auto copy2 = backend_->Open("d/h", Backend::OpenMode::kCreateTruncate);
  ASSERT_TRUE((*copy2)->CopyFrom(**file, 0, 0, big.size()).ok());
  EXPECT_EQ(ReadLocalFile(Local("d/h")), big);
  EXPECT_FALSE((*copy2)->CopyFrom(**file, big.size() - 10, 0, 100).ok());  // source too short

  auto st = backend_->Stat("d/f");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->is_regular);
  EXPECT_EQ(st->size, big.size());

  ASSERT_TRUE(backend_->SetXattr("d", "user.dir", "yes").ok());
  EXPECT_EQ(*backend_->GetXattr("d", "user.dir"), "yes");
  ASSERT_TRUE(backend_->RemoveXattr("d", "user.dir").ok());
  EXPECT_TRUE(backend_->GetXattr("d", "user.dir").status().IsErrno(ENODATA));

  ASSERT_TRUE(backend_->Rename("d/f", "d/renamed").ok());
  auto entries = backend_->ReadDir("d");
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> seen;
  for (auto& e : *entries) seen.push_back(e.name);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"g", "h", "renamed"}));
  EXPECT_TRUE(backend_->Rmdir("d").IsErrno(ENOTEMPTY));
  EXPECT_TRUE(backend_->SyncDir("d").ok());
  EXPECT_TRUE(backend_->SyncDir("").ok());
  EXPECT_TRUE(backend_->SyncFs().ok());
  EXPECT_TRUE(backend_->Open("d", Backend::OpenMode::kRead).status().IsErrno(EISDIR));
}

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
