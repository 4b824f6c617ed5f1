#include "fs/direct_log_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fs/posix_backend.h"
#include "tests/support/temp_dir.h"

namespace fsgate::fs {
namespace {

using testing::ReadLocalFile;
using testing::TempDir;
using testing::WriteLocalFile;

// Records of awkward lengths, as the intent journal appends them.
std::string Record(int i) {
  return std::string(61 + (i * 977) % 9000, static_cast<char>('a' + i % 26));
}

class DirectLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(root_.path() + "/r");
    auto backend = MakePosixBackend(root_.path() + "/r");
    ASSERT_TRUE(backend.ok()) << backend.status().message();
    backend_ = std::move(*backend);
  }
  std::string Local(const std::string& rel) { return root_.path() + "/r/" + rel; }

  // The log at `rel` opened as the journal opens it. The test directory is on
  // a filesystem with direct I/O (ext4 here): the posix backend must use it.
  std::unique_ptr<File> OpenLog(const std::string& rel) {
    auto log = backend_->Open(rel, Backend::OpenMode::kReadWriteLog);
    EXPECT_TRUE(log.ok()) << log.status().message();
    if (!log.ok()) return nullptr;
    EXPECT_NE(dynamic_cast<DirectLogFile*>(log->get()), nullptr);
    return std::move(*log);
  }

  TempDir root_;
  std::unique_ptr<Backend> backend_;
};

// Appends into a pre-written segment leave every earlier byte as written and
// the file's size as it was.
TEST_F(DirectLogFileTest, AppendsIntoAPreWrittenFileKeepEveryByte) {
  const size_t size = 1 << 20;
  WriteLocalFile(Local("seg"), std::string(size, '\0'));
  auto log = OpenLog("seg");
  ASSERT_NE(log, nullptr);
  std::string expected = "HEADER";
  ASSERT_TRUE(log->PWrite(0, expected).ok());
  for (int i = 0; i < 60; ++i) {
    const std::string r = Record(i);
    ASSERT_TRUE(log->PWrite(expected.size(), r).ok()) << i;
    ASSERT_TRUE(log->SyncData().ok());
    expected += r;
  }
  ASSERT_TRUE(log->Close().ok());
  const std::string on_disk = ReadLocalFile(Local("seg"));
  ASSERT_EQ(on_disk.size(), size);
  EXPECT_EQ(on_disk.substr(0, expected.size()), expected);
  EXPECT_EQ(on_disk.find_first_not_of('\0', expected.size()), std::string::npos);
}

// A new handle knows nothing of the block its first write lands in: the bytes
// before it are read from the file, not zeroed. The rest of that block is.
TEST_F(DirectLogFileTest, AFirstWriteMidBlockKeepsTheBytesBeforeIt) {
  std::string content(3 * DirectLogFile::kBlock, 'x');
  WriteLocalFile(Local("seg"), content);
  auto log = OpenLog("seg");
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->PWrite(5000, std::string_view("new")).ok());
  ASSERT_TRUE(log->Close().ok());
  content.replace(5000, 3, "new");
  std::fill(content.begin() + 5003, content.begin() + 2 * DirectLogFile::kBlock, '\0');
  EXPECT_EQ(ReadLocalFile(Local("seg")), content);
}

// A log that grows as it is written ends where its last write does, as a
// buffered one would, and reads back through the handle unaligned.
TEST_F(DirectLogFileTest, AGrowingLogEndsAtItsLastWrite) {
  WriteLocalFile(Local("grow"), "");
  auto log = OpenLog("grow");
  ASSERT_NE(log, nullptr);
  std::string expected;
  for (int i = 0; i < 7; ++i) {
    const std::string r = Record(i);
    ASSERT_TRUE(log->PWrite(expected.size(), r).ok()) << i;
    expected += r;
    auto st = log->Stat();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->size, expected.size()) << i;
  }
  char buf[100];
  auto n = log->PRead(4090, std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), expected.substr(4090, 100));
  n = log->PRead(expected.size() - 10, std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), expected.substr(expected.size() - 10));
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(ReadLocalFile(Local("grow")), expected);
}

}  // namespace
}  // namespace fsgate::fs
