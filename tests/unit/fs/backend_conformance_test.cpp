// The Backend contract (fs/backend.h), checked on every backend: the
// posix one always, the CephFS one when FSGATE_TEST_CEPH_CONF names the
// ceph.conf of a running cluster (the CTest entry unit.fs.cephfs_backend
// starts deploy/ceph-dev-cluster.sh for it, and fails when it cannot).
#define _FILE_OFFSET_BITS 64  // libcephfs.h requires it

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "build_config.h"
#include "fs/backend_util.h"
#include "fs/posix_backend.h"
#include "tests/support/temp_dir.h"

#if FSGATE_HAVE_CEPHFS
#include <cephfs/libcephfs.h>
#include <fcntl.h>

#include "fs/cephfs_backend.h"
#endif

namespace fsgate::fs {
namespace {

// A fresh test area on one filesystem: the backend's root r/ and a sibling
// directory outside/ that no backend path may reach. The out-of-band calls
// act as another program on the same filesystem would.
class Area {
 public:
  virtual ~Area() = default;
  virtual Backend& backend() = 0;
  virtual void WriteOutside(const std::string& name, const std::string& data) = 0;
  virtual bool ExistsOutside(const std::string& name) = 0;
  // A symlink r/<link> whose target is the relative path `target`.
  virtual void Symlink(const std::string& target, const std::string& link) = 0;
};

class PosixArea final : public Area {
 public:
  PosixArea() {
    std::filesystem::create_directories(dir_.path() + "/r");
    std::filesystem::create_directories(dir_.path() + "/outside");
    auto backend = MakePosixBackend(dir_.path() + "/r");
    if (!backend.ok()) throw std::runtime_error(backend.status().message());
    backend_ = std::move(*backend);
  }
  Backend& backend() override { return *backend_; }
  void WriteOutside(const std::string& name, const std::string& data) override {
    testing::WriteLocalFile(dir_.path() + "/outside/" + name, data);
  }
  bool ExistsOutside(const std::string& name) override {
    return std::filesystem::exists(
        std::filesystem::symlink_status(dir_.path() + "/outside/" + name));
  }
  void Symlink(const std::string& target, const std::string& link) override {
    std::filesystem::create_symlink(target, dir_.path() + "/r/" + link);
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Backend> backend_;
};

#if FSGATE_HAVE_CEPHFS
// On the cluster of FSGATE_TEST_CEPH_CONF, under /fsgate-conformance/<pid>-<n>,
// through a second mount of the filesystem's top. Each area costs ~1.1 s, nearly
// all of it libcephfs 16.2 unmounting a mount of a subdirectory (measured: 0.99 s,
// against 0.01 s for a mount of the top).
class CephArea final : public Area {
 public:
  explicit CephArea(const std::string& conf) {
    static std::atomic<int> next{0};
    dir_ = "/fsgate-conformance/" + std::to_string(::getpid()) + "-" + std::to_string(next++);
    Check(ceph_create(&cm_, "admin"), "ceph_create");
    Check(ceph_conf_read_file(cm_, conf.c_str()), "read " + conf);
    Check(ceph_mount(cm_, "/"), "mount");
    Check(ceph_mkdirs(cm_, (dir_ + "/outside").c_str(), 0755), "mkdirs");
    Check(ceph_mkdir(cm_, (dir_ + "/r").c_str(), 0755), "mkdir");
    CephfsOptions options;
    options.conf_file = conf;
    options.root = dir_ + "/r";  // (test_cephfs.py has the backend create its root)
    auto backend = MakeCephfsBackend(options);
    if (!backend.ok()) throw std::runtime_error(backend.status().message());
    backend_ = std::move(*backend);
  }
  ~CephArea() override {
    backend_.reset();
    ceph_unmount(cm_);
    ceph_release(cm_);
  }
  Backend& backend() override { return *backend_; }
  void WriteOutside(const std::string& name, const std::string& data) override {
    int fd =
        ceph_open(cm_, (dir_ + "/outside/" + name).c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    Check(fd, "create outside/" + name);
    Check(ceph_write(cm_, fd, data.data(), static_cast<int64_t>(data.size()), 0), "write");
    Check(ceph_close(cm_, fd), "close");
  }
  bool ExistsOutside(const std::string& name) override {
    struct ceph_statx stx {};
    return ceph_statx(cm_, (dir_ + "/outside/" + name).c_str(), &stx, CEPH_STATX_MODE,
                      AT_SYMLINK_NOFOLLOW) == 0;
  }
  void Symlink(const std::string& target, const std::string& link) override {
    Check(ceph_symlink(cm_, target.c_str(), (dir_ + "/r/" + link).c_str()), "symlink " + link);
  }

 private:
  static void Check(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(what + ": " + std::strerror(-rc));
  }

  struct ceph_mount_info* cm_ = nullptr;
  std::string dir_;
  std::unique_ptr<Backend> backend_;
};
#endif

struct BackendKind {
  std::string name;
  std::function<std::unique_ptr<Area>()> make;
};

void PrintTo(const BackendKind& kind, std::ostream* os) { *os << kind.name; }

std::vector<BackendKind> BackendKinds() {
  std::vector<BackendKind> kinds{{"posix", [] { return std::make_unique<PosixArea>(); }}};
#if FSGATE_HAVE_CEPHFS
  if (const char* conf = std::getenv("FSGATE_TEST_CEPH_CONF"); conf != nullptr && *conf) {
    std::string path = conf;
    kinds.push_back({"cephfs", [path] { return std::make_unique<CephArea>(path); }});
  }
#endif
  return kinds;
}

class BackendConformance : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    try {
      area_ = GetParam().make();
    } catch (const std::exception& e) {
      FAIL() << GetParam().name << " backend: " << e.what();
    }
  }
  Backend& b() { return area_->backend(); }

  void Write(const std::string& path, const std::string& data) {
    auto file = b().Open(path, Backend::OpenMode::kCreateTruncate);
    ASSERT_TRUE(file.ok()) << path << ": " << file.status().message();
    ASSERT_TRUE((*file)->PWrite(0, data).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  std::string Read(const std::string& path) {
    auto file = b().Open(path, Backend::OpenMode::kRead);
    if (!file.ok()) return "<" + file.status().message() + ">";
    auto data = ReadWholeFile(**file);
    return data.ok() ? *data : "<" + data.status().message() + ">";
  }
  std::vector<std::string> Names(const std::string& dir) {
    auto entries = b().ReadDir(dir);
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    std::vector<std::string> names;
    if (entries.ok()) {
      for (auto& e : *entries) names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::unique_ptr<Area> area_;
};

TEST_P(BackendConformance, RefusesPathsOutsideTheRoot) {
  for (const char* bad : {"/etc/passwd", "/x", "..", "../x", "../outside/secret", "a/../../x",
                          "a//b", "./a", "a/.", "a/"}) {
    EXPECT_TRUE(b().Stat(bad).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().StatNoTimes(bad).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().Open(bad, Backend::OpenMode::kCreateTruncate).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().Mkdir(bad).IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().Unlink(bad).IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().Rename("f", bad).IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().ReadDir(bad).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE(b().SetXattr(bad, "user.x", "1").IsErrno(EINVAL)) << bad;
  }
  EXPECT_TRUE(b().Mkdir("").IsErrno(EINVAL));
  EXPECT_TRUE(b().Rmdir("").IsErrno(EINVAL));
  EXPECT_TRUE(b().Open("", Backend::OpenMode::kRead).status().IsErrno(EISDIR));
  EXPECT_FALSE(area_->ExistsOutside("x"));
}

TEST_P(BackendConformance, NeverFollowsASymlink) {
  area_->WriteOutside("secret", "secret");
  area_->Symlink("../outside", "link");
  area_->Symlink("../outside/secret", "filelink");
  ASSERT_TRUE(b().Mkdir("d").ok());
  area_->Symlink("../../outside", "d/deeplink");
  // A symlink in the middle of a path.
  for (const char* dir : {"link", "d/deeplink"}) {
    const std::string d = dir;
    EXPECT_FALSE(b().Open(d + "/secret", Backend::OpenMode::kRead).ok()) << d;
    EXPECT_FALSE(b().Stat(d + "/secret").ok()) << d;
    EXPECT_TRUE(IsMissing(b().Stat(d + "/secret").status())) << d;
    EXPECT_TRUE(IsMissing(b().StatNoTimes(d + "/secret").status())) << d;
    EXPECT_FALSE(b().Open(d + "/new", Backend::OpenMode::kCreateExclusive).ok()) << d;
    EXPECT_FALSE(b().Open(d + "/secret", Backend::OpenMode::kCreateTruncate).ok()) << d;
    EXPECT_FALSE(b().Mkdir(d + "/newdir").ok()) << d;
    EXPECT_FALSE(b().Unlink(d + "/secret").ok()) << d;
    EXPECT_FALSE(b().ReadDir(d).ok()) << d;
    EXPECT_FALSE(b().SyncDir(d).ok()) << d;
    EXPECT_FALSE(b().SetXattr(d, "user.x", "1").ok()) << d;
    EXPECT_FALSE(b().Rename("filelink", d + "/moved").ok()) << d;
  }
  // A symlink as the last component: never opened, stat shows the link itself.
  EXPECT_FALSE(b().Open("filelink", Backend::OpenMode::kRead).ok());
  EXPECT_FALSE(b().Open("filelink", Backend::OpenMode::kReadWrite).ok());
  EXPECT_FALSE(b().Open("filelink", Backend::OpenMode::kCreateTruncate).ok());
  EXPECT_TRUE(b().Open("filelink", Backend::OpenMode::kCreateExclusive).status().IsErrno(EEXIST));
  auto st = b().Stat("filelink");
  ASSERT_TRUE(st.ok()) << st.status().message();
  EXPECT_FALSE(st->is_regular);
  EXPECT_FALSE(st->is_dir);
  auto kind = b().StatNoTimes("filelink");
  ASSERT_TRUE(kind.ok()) << kind.status().message();
  EXPECT_FALSE(kind->is_regular);
  EXPECT_FALSE(kind->is_dir);
  EXPECT_EQ(kind->ino, st->ino);
  EXPECT_FALSE(area_->ExistsOutside("new"));
  EXPECT_FALSE(area_->ExistsOutside("newdir"));
  EXPECT_FALSE(area_->ExistsOutside("moved"));
  EXPECT_TRUE(area_->ExistsOutside("secret"));
  // Unlinking the link removes the link, not its target.
  ASSERT_TRUE(b().Unlink("filelink").ok());
  EXPECT_TRUE(area_->ExistsOutside("secret"));
}

TEST_P(BackendConformance, OpenModes) {
  EXPECT_TRUE(b().Open("f", Backend::OpenMode::kRead).status().IsErrno(ENOENT));
  EXPECT_TRUE(b().Open("f", Backend::OpenMode::kReadWrite).status().IsErrno(ENOENT));
  EXPECT_TRUE(b().Open("no/f", Backend::OpenMode::kCreateExclusive).status().IsErrno(ENOENT));
  auto file = b().Open("f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_TRUE((*file)->PWrite(0, std::string_view("hello world")).ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE(b().Open("f", Backend::OpenMode::kCreateExclusive).status().IsErrno(EEXIST));
  EXPECT_EQ(Read("f"), "hello world");

  auto rw = b().Open("f", Backend::OpenMode::kReadWrite);
  ASSERT_TRUE(rw.ok());
  ASSERT_TRUE((*rw)->PWrite(6, std::string_view("WORLD")).ok());
  ASSERT_TRUE((*rw)->Close().ok());
  EXPECT_EQ(Read("f"), "hello WORLD");

  Write("f", "new");  // kCreateTruncate over an existing file
  EXPECT_EQ(Read("f"), "new");

  ASSERT_TRUE(b().Mkdir("d").ok());
  EXPECT_TRUE(b().Mkdir("d").IsErrno(EEXIST));
  EXPECT_TRUE(b().Open("d", Backend::OpenMode::kRead).status().IsErrno(EISDIR));
  EXPECT_TRUE(b().Open("d", Backend::OpenMode::kCreateTruncate).status().IsErrno(EISDIR));
  EXPECT_TRUE(b().Open("d", Backend::OpenMode::kCreateExclusive).status().IsErrno(EEXIST));
  EXPECT_TRUE(IsMissing(b().Open("f/x", Backend::OpenMode::kRead).status()));
}

// A log is an existing file whose writes, each synced, are read once it is
// no longer written (a recovery's read); an empty file keeps no cached bytes
// that a write around the cache could leave behind.
TEST_P(BackendConformance, LogWritesAreReadOnceWritten) {
  EXPECT_TRUE(b().Open("log", Backend::OpenMode::kReadWriteLog).status().IsErrno(ENOENT));
  Write("log", "");
  auto log = b().Open("log", Backend::OpenMode::kReadWriteLog);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_TRUE((*log)->PWrite(0, std::string_view("rec1")).ok());
  ASSERT_TRUE((*log)->SyncData().ok());
  ASSERT_TRUE((*log)->PWrite(4, std::string_view("rec2")).ok());
  ASSERT_TRUE((*log)->SyncData().ok());
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_EQ(Read("log"), "rec1rec2");
}

TEST_P(BackendConformance, FileCallsReadBackThroughStat) {
  auto file = b().Open("f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->PWrite(0, std::string_view("0123456789")).ok());
  char buf[4];
  auto n = (*file)->PRead(8, std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "89");
  n = (*file)->PRead(10, std::span<char>(buf, sizeof(buf)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  ASSERT_TRUE((*file)->Truncate(4).ok());
  const int64_t mtime = int64_t{1700000000} * 1000000000 + 123456789;
  ASSERT_TRUE((*file)->SetMtime(mtime).ok());
  ASSERT_TRUE((*file)->SyncData().ok());
  ASSERT_TRUE((*file)->Sync().ok());
  auto fst = (*file)->Stat();
  ASSERT_TRUE(fst.ok());
  ASSERT_TRUE((*file)->Close().ok());

  auto st = b().Stat("f");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->is_regular);
  EXPECT_FALSE(st->is_dir);
  EXPECT_EQ(st->size, 4u);
  EXPECT_EQ(st->mtime_ns, mtime);
  EXPECT_EQ(st->ino, fst->ino);
  EXPECT_NE(st->ino, 0u);
  EXPECT_EQ(Read("f"), "0123");
  auto root = b().Stat("");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->is_dir);
  EXPECT_TRUE(b().Stat("missing").status().IsErrno(ENOENT));

  // StatNoTimes: the same kind, inode number and size (the times may be 0).
  auto kind = b().StatNoTimes("f");
  ASSERT_TRUE(kind.ok()) << kind.status().message();
  EXPECT_TRUE(kind->is_regular);
  EXPECT_FALSE(kind->is_dir);
  EXPECT_EQ(kind->size, 4u);
  EXPECT_EQ(kind->ino, st->ino);
  ASSERT_TRUE(b().Mkdir("d").ok());
  auto dir = b().StatNoTimes("d");
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->is_dir);
  EXPECT_EQ(dir->ino, b().Stat("d")->ino);
  auto root_kind = b().StatNoTimes("");
  ASSERT_TRUE(root_kind.ok());
  EXPECT_TRUE(root_kind->is_dir);
  EXPECT_EQ(root_kind->ino, root->ino);
  EXPECT_TRUE(b().StatNoTimes("missing").status().IsErrno(ENOENT));
  EXPECT_TRUE(b().StatNoTimes("f/x").status().IsErrno(ENOTDIR));
}

// A handle's Ino is its file's inode number, in every open mode, and stays
// the file's after the name moves to another file.
TEST_P(BackendConformance, HandleInoIsTheOpenedFilesInodeNumber) {
  ASSERT_TRUE(b().Mkdir("d").ok());
  auto made = b().Open("d/new", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(made.ok()) << made.status().message();
  auto ino = (*made)->Ino();
  ASSERT_TRUE(ino.ok());
  EXPECT_EQ(*ino, b().Stat("d/new")->ino);
  EXPECT_EQ(*ino, (*made)->Stat()->ino);
  for (auto mode : {Backend::OpenMode::kRead, Backend::OpenMode::kReadWrite,
                    Backend::OpenMode::kReadWriteLog, Backend::OpenMode::kCreateTruncate}) {
    auto again = b().Open("d/new", mode);
    ASSERT_TRUE(again.ok());
    auto again_ino = (*again)->Ino();
    ASSERT_TRUE(again_ino.ok());
    EXPECT_EQ(*again_ino, *ino);
  }
  Write("d/other", "x");
  const uint64_t other = b().Stat("d/other")->ino;
  ASSERT_NE(other, *ino);
  ASSERT_TRUE(b().Rename("d/other", "d/new").ok());
  auto kept = (*made)->Ino();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, *ino);
  EXPECT_EQ(b().Stat("d/new")->ino, other);
}

// A handle's Stat answers the file as it is now: right after the open, and
// after each change made through the handle (the posix backend answers the
// first Stat from the fstat its open made).
TEST_P(BackendConformance, HandleStatFollowsChangesThroughTheHandle) {
  ASSERT_TRUE(b().Mkdir("d").ok());
  Write("d/f", "hello");
  auto file = b().Open("d/f", Backend::OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto st = (*file)->Stat();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 5u);
  EXPECT_TRUE(st->is_regular);
  EXPECT_EQ(st->ino, b().Stat("d/f")->ino);

  auto fresh = b().Open("d/f", Backend::OpenMode::kReadWrite);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->PWrite(5, std::string_view(" world")).ok());
  st = (*fresh)->Stat();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 11u);

  auto truncated = b().Open("d/f", Backend::OpenMode::kReadWrite);
  ASSERT_TRUE(truncated.ok());
  ASSERT_TRUE((*truncated)->Truncate(2).ok());
  EXPECT_EQ((*truncated)->Stat()->size, 2u);

  const int64_t mtime = int64_t{1700000000} * 1000000000 + 5;
  auto touched = b().Open("d/f", Backend::OpenMode::kReadWrite);
  ASSERT_TRUE(touched.ok());
  ASSERT_TRUE((*touched)->SetMtime(mtime).ok());
  EXPECT_EQ((*touched)->Stat()->mtime_ns, mtime);
  // Opened for writing, a handle's first Stat has the times too (the posix
  // backend's open does not read them for a writer).
  for (auto mode : {Backend::OpenMode::kReadWrite, Backend::OpenMode::kReadWriteLog}) {
    auto writer = b().Open("d/f", mode);
    ASSERT_TRUE(writer.ok());
    auto times = (*writer)->Stat();
    ASSERT_TRUE(times.ok());
    EXPECT_EQ(times->mtime_ns, mtime);
    EXPECT_EQ(times->size, 2u);
  }

  auto created = b().Open("d/g", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)->Stat()->size, 0u);
  ASSERT_TRUE((*created)->PWrite(0, std::string_view("abc")).ok());
  EXPECT_EQ((*created)->Stat()->size, 3u);
}

TEST_P(BackendConformance, RenameReplacesAtomically) {
  Write("a", "A");
  Write("b", "B");
  auto before = b().Stat("a");
  ASSERT_TRUE(b().Rename("a", "b").ok());
  EXPECT_EQ(Read("b"), "A");
  EXPECT_EQ(b().Stat("b")->ino, before->ino);
  EXPECT_TRUE(b().Stat("a").status().IsErrno(ENOENT));
  EXPECT_TRUE(b().Rename("a", "c").IsErrno(ENOENT));
  // Across directories, and a directory with its contents.
  ASSERT_TRUE(b().Mkdir("d1").ok());
  ASSERT_TRUE(b().Mkdir("d2").ok());
  ASSERT_TRUE(b().Rename("b", "d1/f").ok());
  ASSERT_TRUE(b().Rename("d1", "d2/sub").ok());
  EXPECT_EQ(Read("d2/sub/f"), "A");
  Write("d2/other", "O");
  ASSERT_TRUE(b().Mkdir("d3").ok());
  Write("d3/x", "X");
  EXPECT_FALSE(b().Rename("d3", "d2").ok());  // a non-empty directory is not replaced
  EXPECT_EQ(Read("d2/other"), "O");
}

TEST_P(BackendConformance, RenameAndStatAnswersWhatTheNameHoldsAfterIt) {
  Write("a", "AA");
  Write("b", "B");
  ASSERT_TRUE(b().Mkdir("d").ok());
  Write("d/c", "C");
  auto before = b().Stat("a");
  FileStat linked;
  ASSERT_TRUE(b().RenameAndStat("a", "d/c", &linked).ok());
  EXPECT_EQ(Read("d/c"), "AA");
  EXPECT_EQ(linked.ino, before->ino);
  EXPECT_EQ(linked.size, 2u);
  EXPECT_TRUE(linked.is_regular);
  FileStat untouched;
  EXPECT_TRUE(b().RenameAndStat("a", "e", &untouched).IsErrno(ENOENT));
  EXPECT_EQ(untouched.ino, 0u);
}

TEST_P(BackendConformance, RenameNoReplaceRefusesAnExistingName) {
  Write("a", "A");
  Write("b", "B");
  auto before = b().Stat("a");
  EXPECT_TRUE(b().RenameNoReplace("a", "b").IsErrno(EEXIST));
  EXPECT_EQ(Read("a"), "A");  // both names as they were
  EXPECT_EQ(Read("b"), "B");
  ASSERT_TRUE(b().Mkdir("d").ok());
  ASSERT_TRUE(b().RenameNoReplace("a", "d/c").ok());
  EXPECT_EQ(Read("d/c"), "A");
  EXPECT_EQ(b().Stat("d/c")->ino, before->ino);
  EXPECT_TRUE(b().Stat("a").status().IsErrno(ENOENT));
  EXPECT_TRUE(b().RenameNoReplace("a", "e").IsErrno(ENOENT));
  EXPECT_TRUE(b().RenameNoReplace("b", "d").IsErrno(EEXIST));  // a directory is a name too
}

TEST_P(BackendConformance, XattrsOnFilesAndDirectories) {
  auto file = b().Open("f", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(file.ok());
  const std::string big(3000, 'v');  // larger than a first guess of the value size
  ASSERT_TRUE((*file)->SetXattr("user.fsgate.a", "1").ok());
  ASSERT_TRUE((*file)->SetXattr("user.fsgate.big", big).ok());
  ASSERT_TRUE((*file)->SetXattr("user.fsgate.a", "2").ok());  // replaces
  EXPECT_EQ(*(*file)->GetXattr("user.fsgate.a"), "2");
  EXPECT_EQ(*(*file)->GetXattr("user.fsgate.big"), big);
  EXPECT_TRUE((*file)->GetXattr("user.missing").status().IsErrno(ENODATA));
  auto names = (*file)->ListXattrs();
  ASSERT_TRUE(names.ok());
  for (const char* want : {"user.fsgate.a", "user.fsgate.big"}) {
    EXPECT_NE(std::find(names->begin(), names->end(), want), names->end()) << want;
  }
  ASSERT_TRUE((*file)->RemoveXattr("user.fsgate.a").ok());
  EXPECT_TRUE((*file)->GetXattr("user.fsgate.a").status().IsErrno(ENODATA));
  EXPECT_TRUE((*file)->RemoveXattr("user.fsgate.a").IsErrno(ENODATA));
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  // Seen again through a new open.
  auto again = b().Open("f", Backend::OpenMode::kRead);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->GetXattr("user.fsgate.big"), big);

  ASSERT_TRUE(b().Mkdir("d").ok());
  for (const std::string path : {"d", ""}) {
    ASSERT_TRUE(b().SetXattr(path, "user.dir", "yes").ok()) << path;
    EXPECT_EQ(*b().GetXattr(path, "user.dir"), "yes");
    ASSERT_TRUE(b().RemoveXattr(path, "user.dir").ok());
    EXPECT_TRUE(b().GetXattr(path, "user.dir").status().IsErrno(ENODATA));
  }
  EXPECT_TRUE(b().GetXattr("missing", "user.dir").status().IsErrno(ENOENT));
}

TEST_P(BackendConformance, ReadDirAndRmdir) {
  EXPECT_TRUE(Names("").empty());
  ASSERT_TRUE(b().Mkdir("d").ok());
  ASSERT_TRUE(b().Mkdir("d/sub").ok());
  Write("d/f", "x");
  area_->Symlink("f", "d/link");
  EXPECT_EQ(Names("d"), (std::vector<std::string>{"f", "link", "sub"}));
  auto entries = b().ReadDir("d");
  ASSERT_TRUE(entries.ok());
  for (const DirEntry& e : *entries) {
    const auto want = e.name == "f"     ? DirEntry::Type::kRegular
                      : e.name == "sub" ? DirEntry::Type::kDirectory
                                        : DirEntry::Type::kOther;
    EXPECT_EQ(e.type, want) << e.name;
  }
  EXPECT_EQ(Names(""), (std::vector<std::string>{"d"}));
  EXPECT_TRUE(b().ReadDir("d/f").status().IsErrno(ENOTDIR));
  EXPECT_TRUE(b().ReadDir("missing").status().IsErrno(ENOENT));

  EXPECT_TRUE(b().Rmdir("d").IsErrno(ENOTEMPTY));
  EXPECT_TRUE(b().Rmdir("missing").IsErrno(ENOENT));
  ASSERT_TRUE(b().Rmdir("d/sub").ok());
  ASSERT_TRUE(b().Unlink("d/f").ok());
  ASSERT_TRUE(b().Unlink("d/link").ok());
  EXPECT_TRUE(b().Unlink("d/f").IsErrno(ENOENT));
  ASSERT_TRUE(b().Rmdir("d").ok());
  EXPECT_TRUE(Names("").empty());

  // Many entries: a listing spans more than one readdir batch.
  ASSERT_TRUE(b().Mkdir("many").ok());
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    want.push_back("k" + std::to_string(1000 + i));
    ASSERT_TRUE(b().Open("many/" + want.back(), Backend::OpenMode::kCreateExclusive).ok());
  }
  EXPECT_EQ(Names("many"), want);
}

// A Dir: per-entry look-ups of one name only, never through a symlink.
TEST_P(BackendConformance, OpenDirLooksUpOneNameAtATime) {
  ASSERT_TRUE(b().Mkdir("d").ok());
  ASSERT_TRUE(b().Mkdir("d/sub").ok());
  Write("d/f", "12345");
  ASSERT_TRUE(b().SetXattr("d/sub", "user.x", "on-dir").ok());
  {
    auto file = b().Open("d/f", Backend::OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->SetXattr("user.x", "on-file").ok());
  }
  area_->WriteOutside("secret", "secret");
  area_->Symlink("../../outside/secret", "d/link");
  auto dir = b().OpenDir("d");
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  auto self = (*dir)->Stat();
  ASSERT_TRUE(self.ok());
  EXPECT_TRUE(self->is_dir);
  auto entries = (*dir)->Read();
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> names;
  for (auto& e : *entries) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"f", "link", "sub"}));
  auto again = (*dir)->Read();  // a second read starts over
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 3u);
  auto f = (*dir)->StatAt("f");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->is_regular);
  EXPECT_EQ(f->size, 5u);
  EXPECT_EQ(*(*dir)->GetXattrAt("f", "user.x"), "on-file");
  EXPECT_EQ(*(*dir)->GetXattrAt("sub", "user.x"), "on-dir");
  EXPECT_TRUE((*dir)->GetXattrAt("f", "user.none").status().IsErrno(ENODATA));
  auto link = (*dir)->StatAt("link");
  ASSERT_TRUE(link.ok());
  EXPECT_FALSE(link->is_regular);  // the link itself, not the file outside
  EXPECT_TRUE(IsMissing((*dir)->StatAt("gone").status()));
  for (const char* bad : {"", ".", "..", "sub/x", "../d/f", "/etc/passwd"}) {
    EXPECT_TRUE((*dir)->StatAt(bad).status().IsErrno(EINVAL)) << bad;
    EXPECT_TRUE((*dir)->GetXattrAt(bad, "user.x").status().IsErrno(EINVAL)) << bad;
  }
  EXPECT_TRUE(b().OpenDir("d/f").status().IsErrno(ENOTDIR));
  EXPECT_FALSE(b().OpenDir("d/link").ok());
  EXPECT_TRUE(b().OpenDir("../x").status().IsErrno(EINVAL));
}

TEST_P(BackendConformance, SyncCalls) {
  ASSERT_TRUE(b().Mkdir("d").ok());
  Write("d/f", "data");
  ASSERT_TRUE(b().Rename("d/f", "d/g").ok());
  EXPECT_TRUE(b().SyncDir("d").ok());
  EXPECT_TRUE(b().SyncDir("").ok());
  EXPECT_TRUE(b().SyncFs().ok());
  EXPECT_TRUE(b().SyncDir("missing").IsErrno(ENOENT));
  EXPECT_EQ(Read("d/g"), "data");
}

// The gateway lock: one holder at a time, even two in one process (a cephfs
// client's lock is held for the mount, so each lock has its own owner), and
// free again once its holder lets go. Never truncates what the file holds.
TEST_P(BackendConformance, LockExclusiveHasOneHolderUntilReleased) {
  ASSERT_TRUE(b().Mkdir("gw").ok());
  auto first = b().LockExclusive("gw/lock");
  ASSERT_TRUE(first.ok()) << first.status().message();
  Write("gw/lock", "holder note");
  EXPECT_TRUE(b().LockExclusive("gw/lock").status().IsErrno(EWOULDBLOCK));
  EXPECT_TRUE(b().LockExclusive("gw/other").ok());
  first->reset();
  auto second = b().LockExclusive("gw/lock");
  EXPECT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(Read("gw/lock"), "holder note");
}

TEST_P(BackendConformance, CopyFrom) {
  Write("src", "hello world");
  auto src = b().Open("src", Backend::OpenMode::kRead);
  auto dst = b().Open("dst", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(src.ok() && dst.ok());
  ASSERT_TRUE((*dst)->CopyFrom(**src, 6, 0, 5).ok());
  ASSERT_TRUE((*dst)->CopyFrom(**src, 0, 5, 5).ok());
  ASSERT_TRUE((*dst)->Close().ok());
  EXPECT_EQ(Read("dst"), "worldhello");
  auto short_dst = b().Open("short", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(short_dst.ok());
  EXPECT_FALSE((*short_dst)->CopyFrom(**src, 8, 0, 100).ok());  // the source is too short

  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  Write("big", big);
  auto big_src = b().Open("big", Backend::OpenMode::kRead);
  auto copy = b().Open("copy", Backend::OpenMode::kCreateExclusive);
  ASSERT_TRUE(big_src.ok() && copy.ok());
  ASSERT_TRUE((*copy)->CopyFrom(**big_src, 0, 0, big.size()).ok());
  ASSERT_TRUE((*copy)->Close().ok());
  EXPECT_EQ(Read("copy"), big);
}

// Two handles on one lock file stand for two gateways: byte 0 shared by both
// or exclusive to one, conversions in place, a waiter seen through Conflicts,
// and everything let go with the handle.
TEST_P(BackendConformance, RangeLocksBetweenTwoHandles) {
  ASSERT_TRUE(b().Mkdir("caps").ok());
  auto a = b().OpenRangeLock("caps/bucket");
  auto c = b().OpenRangeLock("caps/bucket");
  ASSERT_TRUE(a.ok() && c.ok()) << a.status().message() << c.status().message();
  RangeLock& first = **a;
  RangeLock& second = **c;
  ASSERT_TRUE(first.Lock(0, 1, LockMode::kExclusive).ok());
  EXPECT_TRUE(second.Lock(0, 1, LockMode::kShared).IsErrno(EWOULDBLOCK));
  EXPECT_TRUE(second.Lock(0, 1, LockMode::kExclusive).IsErrno(EWOULDBLOCK));
  EXPECT_EQ(*second.Conflicts(0, 1, LockMode::kShared), true);
  EXPECT_EQ(*first.Conflicts(0, 1, LockMode::kExclusive), false);  // its own lock is no conflict
  // The waiter announces itself on byte 1; the holder sees it there.
  EXPECT_EQ(*first.Conflicts(1, 1, LockMode::kExclusive), false);
  ASSERT_TRUE(second.Lock(1, 1, LockMode::kShared).ok());
  EXPECT_EQ(*first.Conflicts(1, 1, LockMode::kExclusive), true);
  // One test from an offset on (len 0) sees a lock however far past it.
  constexpr uint64_t kFar = (uint64_t{1} << 62) + 7;
  EXPECT_EQ(*first.Conflicts(2, 0, LockMode::kExclusive), false);
  ASSERT_TRUE(second.Lock(kFar, 1, LockMode::kShared).ok());
  EXPECT_EQ(*first.Conflicts(2, 0, LockMode::kExclusive), true);
  EXPECT_EQ(*first.Conflicts(2, kFar - 2, LockMode::kExclusive), false);
  EXPECT_EQ(*first.Conflicts(kFar + 1, 0, LockMode::kExclusive), false);
  ASSERT_TRUE(second.Unlock(kFar, 1).ok());
  EXPECT_EQ(*first.Conflicts(2, 0, LockMode::kExclusive), false);
  // Downgrade: both share byte 0; neither can upgrade while the other holds it.
  ASSERT_TRUE(first.Lock(0, 1, LockMode::kShared).ok());
  ASSERT_TRUE(second.Lock(0, 1, LockMode::kShared).ok());
  ASSERT_TRUE(second.Unlock(1, 1).ok());
  EXPECT_EQ(*first.Conflicts(1, 1, LockMode::kExclusive), false);
  EXPECT_TRUE(first.Lock(0, 1, LockMode::kExclusive).IsErrno(EWOULDBLOCK));
  EXPECT_EQ(*second.Conflicts(0, 1, LockMode::kExclusive), true);  // the shared lock stayed
  // The other lets go (its handle closed): the upgrade goes through.
  c->reset();
  ASSERT_TRUE(first.Lock(0, 1, LockMode::kExclusive).ok());
  auto third = b().OpenRangeLock("caps/bucket");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)->Lock(0, 1, LockMode::kShared).IsErrno(EWOULDBLOCK));
  ASSERT_TRUE(first.Unlock(0, 1).ok());
  EXPECT_TRUE((*third)->Lock(0, 1, LockMode::kExclusive).ok());
  EXPECT_TRUE(b().OpenRangeLock("../outside").status().IsErrno(EINVAL));
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance, ::testing::ValuesIn(BackendKinds()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace fsgate::fs
