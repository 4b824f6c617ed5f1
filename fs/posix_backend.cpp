#include "fs/posix_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <utility>

#include "fs/backend_util.h"
#include "fs/direct_log_file.h"

namespace fsgate::fs {
namespace {

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  // close(2)'s result; the fd is gone either way.
  int Reset() {
    int rc = 0;
    if (fd_ >= 0) rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_ = -1;
};

Status ErrnoStatus(const char* what, const std::string& path) {
  return Status::Errno(errno, std::string(what) + " " + (path.empty() ? "." : path));
}

FileStat ToFileStat(const struct stat& st) {
  FileStat out;
  out.ino = st.st_ino;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  out.is_dir = S_ISDIR(st.st_mode);
  out.is_regular = S_ISREG(st.st_mode);
  return out;
}

// Stats `name` under `dirfd` ("" with AT_EMPTY_PATH: `dirfd` itself) into
// `out`, with the times or without them, which are then not asked for (see
// Backend::StatNoTimes). -1 with errno set on failure.
int StatAt(int dirfd, const char* name, int flags, bool times, FileStat* out) {
  if (times) {
    struct stat st {};
    if (::fstatat(dirfd, name, &st, flags) != 0) return -1;
    *out = ToFileStat(st);
    return 0;
  }
  struct statx sx {};
  if (::statx(dirfd, name, flags, STATX_TYPE | STATX_INO | STATX_SIZE, &sx) != 0) return -1;
  *out = {};
  out->ino = sx.stx_ino;
  out->size = sx.stx_size;
  out->is_dir = S_ISDIR(sx.stx_mode);
  out->is_regular = S_ISREG(sx.stx_mode);
  return 0;
}

Result<std::string> FdGetXattr(int fd, const std::string& name, const std::string& what) {
  return GetXattrValue(
      [&](char* buf, size_t size) -> long {
        ssize_t n = ::fgetxattr(fd, name.c_str(), buf, size);
        return n < 0 ? -errno : n;
      },
      "getxattr " + what);
}

Status FdSetXattr(int fd, const std::string& name, std::string_view value,
                  const std::string& what) {
  if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) {
    return ErrnoStatus("setxattr", what);
  }
  return Status::Ok();
}

Status FdRemoveXattr(int fd, const std::string& name, const std::string& what) {
  if (::fremovexattr(fd, name.c_str()) != 0) return ErrnoStatus("removexattr", what);
  return Status::Ok();
}

// An open file description's lock (F_OFD_SETLK): owned by this descriptor,
// not by the process, so another open of the same file — by this process too —
// is refused it, and closing some other descriptor of the file (as a plain
// fcntl lock would) never drops it. Released by close, or by the kernel when
// the process dies.
class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

// Byte-range OFD locks on one open file description: each handle is its own
// owner, as each gateway is.
class PosixRangeLock final : public RangeLock {
 public:
  PosixRangeLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  Status Lock(uint64_t offset, uint64_t len, LockMode mode) override {
    return Set(offset, len, FlockType(mode));
  }
  Status Unlock(uint64_t offset, uint64_t len) override { return Set(offset, len, F_UNLCK); }
  Result<bool> Conflicts(uint64_t offset, uint64_t len, LockMode mode) override {
    struct flock lock = FlockRange(offset, len, FlockType(mode), 0);
    if (::fcntl(fd_.get(), F_OFD_GETLK, &lock) != 0) return ErrnoStatus("getlk", path_);
    return lock.l_type != F_UNLCK;
  }

 private:
  Status Set(uint64_t offset, uint64_t len, short type) {
    struct flock lock = FlockRange(offset, len, type, 0);
    if (::fcntl(fd_.get(), F_OFD_SETLK, &lock) != 0) {
      if (errno == EACCES || errno == EAGAIN) errno = EWOULDBLOCK;
      return ErrnoStatus("setlk", path_);
    }
    return Status::Ok();
  }

  UniqueFd fd_;
  const std::string path_;
};

class PosixFile final : public File {
 public:
  // `opened`: the fstat Open made to refuse a directory or a special file. It
  // answers the first Stat() unless the file was changed through this handle
  // first: a GET and an applied PUT stat the file right after opening it, and
  // that second fstat was one syscall of each (as fresh as the caller's own
  // fstat a microsecond later would be; another handle may change the file
  // at any time either way).
  // `opened`: the stat taken at the open, answered by the first Stat() when
  // it has the times (else that Stat() asks the kernel).
  PosixFile(UniqueFd fd, std::string path, const FileStat& opened, bool opened_has_times)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        opened_stat_(opened),
        opened_stat_fresh_(opened_has_times) {}

  int fd() const { return fd_.get(); }

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    for (;;) {
      ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoStatus("read", path_);
    }
  }

  Status PWrite(uint64_t offset, std::span<const char> data) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_.get(), data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_);
      }
      data = data.subspan(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("truncate", path_);
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fsync(fd_.get()) != 0) return ErrnoStatus("fsync", path_);
    return Status::Ok();
  }

  Status SetMtime(int64_t mtime_ns) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    const struct timespec times[2] = {
        {0, UTIME_OMIT},
        {static_cast<time_t>(mtime_ns / 1000000000), static_cast<long>(mtime_ns % 1000000000)}};
    if (::futimens(fd_.get(), times) != 0) return ErrnoStatus("futimens", path_);
    return Status::Ok();
  }

  Status SyncData() override {
    if (::fdatasync(fd_.get()) != 0) return ErrnoStatus("fdatasync", path_);
    return Status::Ok();
  }

  Result<uint64_t> Ino() override { return opened_stat_.ino; }

  Result<FileStat> Stat() override {
    if (opened_stat_fresh_.exchange(false, std::memory_order_relaxed)) return opened_stat_;
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return ErrnoStatus("fstat", path_);
    return ToFileStat(st);
  }

  Result<std::string> GetXattr(const std::string& name) override {
    return FdGetXattr(fd_.get(), name, path_);
  }
  Status SetXattr(const std::string& name, std::string_view value) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    return FdSetXattr(fd_.get(), name, value, path_);
  }
  Status RemoveXattr(const std::string& name) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    return FdRemoveXattr(fd_.get(), name, path_);
  }

  Result<std::vector<std::string>> ListXattrs() override {
    return ListXattrNames(
        [&](char* buf, size_t size) -> long {
          ssize_t n = ::flistxattr(fd_.get(), buf, size);
          return n < 0 ? -errno : n;
        },
        "listxattr " + path_);
  }

  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    if (auto* posix_src = dynamic_cast<PosixFile*>(&src)) {
      auto in = static_cast<off_t>(src_offset);
      auto out = static_cast<off_t>(dst_offset);
      while (len > 0) {
        ssize_t n = ::copy_file_range(posix_src->fd(), &in, fd_.get(), &out, len, 0);
        if (n > 0) {
          len -= static_cast<uint64_t>(n);
          continue;
        }
        if (n == 0) return Status::Errno(EIO, "copy_file_range: source shorter than expected");
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) break;
        return ErrnoStatus("copy_file_range", path_);
      }
      if (len == 0) return Status::Ok();
      src_offset = static_cast<uint64_t>(in);
      dst_offset = static_cast<uint64_t>(out);
    }
    // Fallback: through user space.
    return CopyThroughBuffer(src, src_offset, *this, dst_offset, len);
  }

  Status Close() override {
    opened_stat_fresh_.store(false, std::memory_order_relaxed);
    if (fd_.get() < 0) return Status::Ok();
    if (fd_.Reset() != 0) return ErrnoStatus("close", path_);
    return Status::Ok();
  }

 private:
  UniqueFd fd_;
  std::string path_;
  const FileStat opened_stat_;
  std::atomic<bool> opened_stat_fresh_;
};

// Hands every entry of the open directory `fd` (consumed) but "." and ".."
// to `each`.
Status ForEachEntry(UniqueFd fd, const std::string& path, const Dir::EachEntry& each) {
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return ErrnoStatus("opendir", path);
  fd.release();  // owned by `dir` now
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
  for (;;) {
    errno = 0;
    struct dirent* ent = ::readdir(dir);
    if (ent == nullptr) {
      if (errno != 0) return ErrnoStatus("readdir", path);
      return Status::Ok();
    }
    if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
    each(ent->d_name, DirEntryType(ent->d_type));
  }
}

// Every entry of the open directory `fd` (consumed) but "." and "..".
Result<std::vector<DirEntry>> ReadEntries(UniqueFd fd, const std::string& path) {
  std::vector<DirEntry> entries;
  Status s = ForEachEntry(std::move(fd), path, [&entries](std::string_view name, auto type) {
    entries.push_back(DirEntry{std::string(name), type});
  });
  if (!s.ok()) return s;
  return entries;
}

// Whether /proc/self/fd is there to name an entry of an open directory in
// one getxattr call (without it: open, fgetxattr, close).
bool HaveProcFd() {
  static const bool have = ::access("/proc/self/fd", X_OK) == 0;
  return have;
}

class PosixDir final : public Dir {
 public:
  PosixDir(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  Result<FileStat> Stat() override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return ErrnoStatus("fstat", path_);
    return ToFileStat(st);
  }

  Result<std::vector<DirEntry>> Read() override {
    auto dup = Rewound();
    if (!dup.ok()) return dup.status();
    return ReadEntries(std::move(*dup), path_);
  }

  Status ForEach(const EachEntry& each) override {
    auto dup = Rewound();
    if (!dup.ok()) return dup.status();
    return ForEachEntry(std::move(*dup), path_, each);
  }

  Result<FileStat> StatAt(const std::string& name) override {
    if (!IsOneComponent(name)) return Status::Errno(EINVAL, "not a name: " + name);
    struct stat st {};
    if (::fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus("stat", Child(name));
    }
    return ToFileStat(st);
  }

  Result<std::string> GetXattrAt(const std::string& name, const std::string& xattr) override {
    if (!IsOneComponent(name)) return Status::Errno(EINVAL, "not a name: " + name);
    if (HaveProcFd()) {
      // The magic link names this directory; lgetxattr follows no symlink at `name`.
      std::string at = "/proc/self/fd/" + std::to_string(fd_.get()) + "/" + name;
      return GetXattrValue(
          [&](char* buf, size_t size) -> long {
            ssize_t n = ::lgetxattr(at.c_str(), xattr.c_str(), buf, size);
            return n < 0 ? -errno : n;
          },
          "getxattr " + Child(name));
    }
    UniqueFd fd(::openat(fd_.get(), name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("open", Child(name));
    return FdGetXattr(fd.get(), xattr, Child(name));
  }

 private:
  std::string Child(const std::string& name) const { return ChildPath(path_, name); }

  // A descriptor of its own at the first entry: readdir moves the offset and
  // closedir closes it.
  Result<UniqueFd> Rewound() {
    UniqueFd dup(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (dup.get() < 0) return ErrnoStatus("dup", path_);
    if (::lseek(dup.get(), 0, SEEK_SET) != 0) return ErrnoStatus("rewinddir", path_);
    return dup;
  }

  UniqueFd fd_;
  std::string path_;
};

// openat2(2) through syscall(2): glibc 2.36 has no wrapper.
long OpenBeneath(int dirfd, const char* path, uint64_t flags, uint64_t mode = 0) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return ::syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

class PosixBackend final : public Backend {
 public:
  PosixBackend(UniqueFd root, std::string root_path)
      : root_(std::move(root)), root_path_(std::move(root_path)) {}

  std::string Name() const override { return "posix:" + root_path_; }

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    if (path.empty()) return Status::Errno(EISDIR, "open of the root");
    int flags = O_CLOEXEC | O_NOFOLLOW;
    switch (mode) {
      case OpenMode::kRead:
        flags |= O_RDONLY | O_NONBLOCK;  // O_NONBLOCK: never hang on a FIFO placed in the tree
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR | O_NONBLOCK;
        break;
      case OpenMode::kReadWriteLog:
        flags |= O_RDWR | O_NONBLOCK | O_DIRECT;  // direct_log_file.h
        break;
      case OpenMode::kCreateExclusive:
        flags |= O_RDWR | O_CREAT | O_EXCL;
        break;
      case OpenMode::kCreateTruncate:
        flags |= O_RDWR | O_CREAT | O_TRUNC;
        break;
    }
    auto opened = OpenFileBeneath(path, flags);
    if (!opened.ok() && (flags & O_DIRECT) != 0 && opened.status().IsErrno(EINVAL)) {
      flags &= ~O_DIRECT;  // a filesystem without direct I/O: written through its cache
      opened = OpenFileBeneath(path, flags);
    }
    if (!opened.ok()) return opened.status();
    UniqueFd fd = std::move(*opened);
    // A read answers the file's times (Last-Modified) from this stat; a
    // writer is about to change the file, so its times are not read here
    // (Backend::StatNoTimes).
    const bool read = mode == OpenMode::kRead;
    FileStat st;
    if (StatAt(fd.get(), "", AT_EMPTY_PATH, /*times=*/read, &st) != 0) {
      return ErrnoStatus("fstat", path);
    }
    if (st.is_dir) return Status::Errno(EISDIR, "open " + path);
    if (!st.is_regular) return Status::Errno(EINVAL, "open of a non-regular file " + path);
    auto file = std::make_unique<PosixFile>(std::move(fd), path, st, read);
    if ((flags & O_DIRECT) != 0) {
      return std::unique_ptr<File>(std::make_unique<DirectLogFile>(std::move(file), st.size));
    }
    return std::unique_ptr<File>(std::move(file));
  }

  Result<std::unique_ptr<FileLock>> LockExclusive(const std::string& path) override {
    auto fd = OpenLockFile(path);
    if (!fd.ok()) return fd.status();
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
    if (::fcntl(fd->get(), F_OFD_SETLK, &lock) != 0) {
      if (errno == EACCES || errno == EAGAIN) errno = EWOULDBLOCK;
      return ErrnoStatus("lock", path);
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(std::move(*fd)));
  }

  Result<std::unique_ptr<RangeLock>> OpenRangeLock(const std::string& path) override {
    auto fd = OpenLockFile(path);
    if (!fd.ok()) return fd.status();
    return std::unique_ptr<RangeLock>(std::make_unique<PosixRangeLock>(std::move(*fd), path));
  }

  Result<FileStat> Stat(const std::string& path) override { return StatPath(path, true); }
  Result<FileStat> StatNoTimes(const std::string& path) override { return StatPath(path, false); }

  Status Mkdir(const std::string& path) override {
    auto parent = ResolveParentOf(path, "mkdir");
    if (!parent.ok()) return parent.status();
    if (::mkdirat(parent->fd, parent->name.c_str(), 0755) != 0) return ErrnoStatus("mkdir", path);
    return Status::Ok();
  }

  Status Rmdir(const std::string& path) override {
    auto parent = ResolveParentOf(path, "rmdir");
    if (!parent.ok()) return parent.status();
    if (::unlinkat(parent->fd, parent->name.c_str(), AT_REMOVEDIR) != 0) {
      return ErrnoStatus("rmdir", path);
    }
    Unpin(path);
    return Status::Ok();
  }

  Status Unlink(const std::string& path) override {
    auto parent = ResolveParentOf(path, "unlink");
    if (!parent.ok()) return parent.status();
    if (::unlinkat(parent->fd, parent->name.c_str(), 0) != 0) return ErrnoStatus("unlink", path);
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    return RenameAndStat(from, to, nullptr);
  }

  Status RenameAndStat(const std::string& from, const std::string& to, FileStat* linked) override {
    auto src = ResolveParentOf(from, "rename");
    if (!src.ok()) return src.status();
    auto dst = ResolveParentOf(to, "rename");
    if (!dst.ok()) return dst.status();
    if (::renameat(src->fd, src->name.c_str(), dst->fd, dst->name.c_str()) != 0) {
      return ErrnoStatus("rename", from + " -> " + to);
    }
    struct stat st {};
    if (linked != nullptr && ::fstatat(dst->fd, dst->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      *linked = ToFileStat(st);
    }
    return Status::Ok();
  }

  Status Link(const std::string& from, const std::string& to) override {
    auto src = ResolveParentOf(from, "link");
    if (!src.ok()) return src.status();
    auto dst = ResolveParentOf(to, "link");
    if (!dst.ok()) return dst.status();
    if (::linkat(src->fd, src->name.c_str(), dst->fd, dst->name.c_str(), 0) != 0) {
      return ErrnoStatus("link", from + " -> " + to);
    }
    return Status::Ok();
  }

  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    auto src = ResolveParentOf(from, "rename");
    if (!src.ok()) return src.status();
    auto dst = ResolveParentOf(to, "rename");
    if (!dst.ok()) return dst.status();
    if (::renameat2(src->fd, src->name.c_str(), dst->fd, dst->name.c_str(), RENAME_NOREPLACE) ==
        0) {
      return Status::Ok();
    }
    if (errno != EINVAL && errno != ENOSYS) return ErrnoStatus("rename", from + " -> " + to);
    // A filesystem without RENAME_NOREPLACE (NFS, some FUSE): linkat also
    // fails with EEXIST when the name exists. A crash between the link and
    // the unlink leaves `from` a second name of the file, which the staging
    // sweep removes (it holds the object's attributes, so it is not adopted).
    if (::linkat(src->fd, src->name.c_str(), dst->fd, dst->name.c_str(), 0) != 0) {
      return ErrnoStatus("link", from + " -> " + to);
    }
    if (::unlinkat(src->fd, src->name.c_str(), 0) != 0) return ErrnoStatus("unlink", from);
    return Status::Ok();
  }

  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override {
    auto fd = OpenNode(path, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.status();
    return ReadEntries(std::move(*fd), path);
  }

  Result<std::unique_ptr<Dir>> OpenDir(const std::string& path) override {
    auto fd = OpenNode(path, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.status();
    return std::unique_ptr<Dir>(std::make_unique<PosixDir>(std::move(*fd), path));
  }
  bool HasDirHandles() const override { return true; }

  Status SyncDir(const std::string& path) override {
    auto fd = OpenNode(path, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.status();
    if (::fsync(fd->get()) != 0) return ErrnoStatus("fsync", path);
    return Status::Ok();
  }

  void SpreadSubdirectories(const std::string& path) override {
    auto fd = OpenNode(path, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return;
    int flags = 0;
    if (::ioctl(fd->get(), FS_IOC_GETFLAGS, &flags) != 0 || (flags & FS_TOPDIR_FL)) return;
    flags |= FS_TOPDIR_FL;
    (void)::ioctl(fd->get(), FS_IOC_SETFLAGS, &flags);  // ENOTTY/EOPNOTSUPP: not ext*
  }

  Status SyncFs() override {
    if (::syncfs(root_.get()) != 0) return ErrnoStatus("syncfs", root_path_);
    return Status::Ok();
  }

  // Each applied create opened its staging file by its whole path (an openat2
  // walking the five names above it) and renamed it through an O_PATH open of
  // its generation directory and that descriptor's close; the refill created
  // each file through the same walk. From the pinned handle the open is an
  // openat of one name and the rename needs no open: two syscalls and two
  // walks fewer an applied PUT, one walk fewer a staging file made.
  void PinDir(const std::string& path) override {
    if (!IsValidBackendPath(path) || path.empty()) return;
    auto fd = OpenDirBeneath(path);
    if (!fd.ok()) return;  // a hint: the path calls still work
    std::lock_guard lock(pinned_mu_);
    pinned_.insert_or_assign(path, std::make_shared<const UniqueFd>(std::move(*fd)));
    any_pinned_.store(true, std::memory_order_release);
  }

  Result<std::string> GetXattr(const std::string& path, const std::string& name) override {
    auto fd = OpenNode(path, O_RDONLY | O_NONBLOCK);
    if (!fd.ok()) return fd.status();
    return FdGetXattr(fd->get(), name, path);
  }

  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override {
    auto fd = OpenNode(path, O_RDONLY | O_NONBLOCK);
    if (!fd.ok()) return fd.status();
    return FdSetXattr(fd->get(), name, value, path);
  }

  Status RemoveXattr(const std::string& path, const std::string& name) override {
    auto fd = OpenNode(path, O_RDONLY | O_NONBLOCK);
    if (!fd.ok()) return fd.status();
    return FdRemoveXattr(fd->get(), name, path);
  }

 private:
  // The directory holding a path's last component, and that component.
  // Valid while the path it was resolved from lives: the name is the path's
  // own NUL-terminated tail, and the directory's name a buffer of the
  // thread's, so resolving copies no string (a PUT made 2.3 mallocs fewer,
  // callgrind).
  struct Parent {
    UniqueFd owned;                          // empty when the parent is the root or pinned
    std::shared_ptr<const UniqueFd> pinned;  // the parent's, when it is pinned
    int fd = -1;
    struct {
      const char* tail = "";
      const char* c_str() const { return tail; }
    } name;
  };

  // Stat and StatNoTimes: `times` says which.
  Result<FileStat> StatPath(const std::string& path, bool times) {
    FileStat st;
    if (path.empty()) {
      if (StatAt(root_.get(), "", AT_EMPTY_PATH, times, &st) != 0) {
        return ErrnoStatus("fstat", path);
      }
      return st;
    }
    auto parent = ResolveParent(path);
    if (!parent.ok()) return parent.status();
    if (StatAt(parent->fd, parent->name.c_str(), AT_SYMLINK_NOFOLLOW, times, &st) != 0) {
      return ErrnoStatus("stat", path);
    }
    return st;
  }

  Result<Parent> ResolveParent(const std::string& path) {
    if (!IsValidBackendPath(path) || path.empty()) {
      return Status::Errno(EINVAL, "invalid backend path '" + path + "'");
    }
    Parent parent;
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
      parent.fd = root_.get();
      parent.name.tail = path.c_str();
      return parent;
    }
    parent.name.tail = path.c_str() + slash + 1;
    if ((parent.pinned = Pinned(std::string_view(path).substr(0, slash)))) {
      parent.fd = parent.pinned->get();
      return parent;
    }
    thread_local std::string dir_path;
    dir_path.assign(path, 0, slash);
    auto dir = OpenDirBeneath(dir_path);
    if (!dir.ok()) return dir.status();
    parent.owned = std::move(*dir);
    parent.fd = parent.owned.get();
    return parent;
  }

  Result<Parent> ResolveParentOf(const std::string& path, const char* what) {
    if (path.empty()) return Status::Errno(EINVAL, std::string(what) + " of the root");
    return ResolveParent(path);
  }

  // The file a lock lives on, created if missing, opened read-write (an
  // exclusive fcntl lock needs a descriptor open for writing).
  Result<UniqueFd> OpenLockFile(const std::string& path) {
    auto parent = ResolveParentOf(path, "lock");
    if (!parent.ok()) return parent.status();
    UniqueFd fd(::openat(parent->fd, parent->name.c_str(),
                         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (fd.get() < 0) return ErrnoStatus("open", path);
    return fd;
  }

  // `path` opened with `flags` (creating with mode 0644), refusing any symlink
  // on the way. One openat2 of the whole path where the kernel has it: an
  // O_PATH open of the parent, the openat and the parent's close cost a GET
  // and an applied PUT two syscalls more each.
  Result<UniqueFd> OpenFileBeneath(const std::string& path, int flags) {
    if (!IsValidBackendPath(path) || path.empty()) {
      return Status::Errno(EINVAL, "invalid backend path '" + path + "'");
    }
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos) {
      if (auto pinned = Pinned(std::string_view(path).substr(0, slash))) {
        UniqueFd fd(::openat(pinned->get(), path.c_str() + slash + 1, flags, 0644));
        if (fd.get() < 0) return ErrnoStatus("open", path);
        return fd;
      }
    }
    if (slash != std::string::npos && have_openat2_.load(std::memory_order_relaxed)) {
      const uint64_t mode = (flags & O_CREAT) != 0 ? 0644 : 0;
      long fd = OpenBeneath(root_.get(), path.c_str(), static_cast<uint64_t>(flags), mode);
      if (fd >= 0) return UniqueFd(static_cast<int>(fd));
      if (errno != ENOSYS && errno != EPERM) return ErrnoStatus("open", path);
    }
    auto parent = ResolveParent(path);
    if (!parent.ok()) return parent.status();
    UniqueFd fd(::openat(parent->fd, parent->name.c_str(), flags, 0644));
    if (fd.get() < 0) return ErrnoStatus("open", path);
    return fd;
  }

  // An O_PATH fd of directory `dir` (non-empty, validated) beneath the root,
  // refusing any symlink on the way.
  Result<UniqueFd> OpenDirBeneath(const std::string& dir) {
    if (have_openat2_.load(std::memory_order_relaxed)) {
      long fd = OpenBeneath(root_.get(), dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) return UniqueFd(static_cast<int>(fd));
      if (errno != ENOSYS && errno != EPERM) return ErrnoStatus("open", dir);
      have_openat2_.store(false, std::memory_order_relaxed);  // old kernel or seccomp
    }
    UniqueFd current;
    int at = root_.get();
    size_t pos = 0;
    while (pos <= dir.size()) {
      size_t end = dir.find('/', pos);
      if (end == std::string::npos) end = dir.size();
      std::string component = dir.substr(pos, end - pos);
      UniqueFd next(::openat(at, component.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (next.get() < 0) {
        // A symlink opened with O_PATH|O_NOFOLLOW|O_DIRECTORY fails ENOTDIR: refused.
        return ErrnoStatus("open", dir);
      }
      current = std::move(next);
      at = current.get();
      pos = end + 1;
    }
    return current;
  }

  // A real (not O_PATH) fd of `path` itself, for fsync, readdir and xattrs.
  Result<UniqueFd> OpenNode(const std::string& path, int flags) {
    if (path.empty()) {
      UniqueFd fd(::openat(root_.get(), ".", flags | O_CLOEXEC));
      if (fd.get() < 0) return ErrnoStatus("open", path);
      return fd;
    }
    auto parent = ResolveParent(path);
    if (!parent.ok()) return parent.status();
    UniqueFd fd(::openat(parent->fd, parent->name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("open", path);
    return fd;
  }

  // The descriptor of `dir` when it is pinned (PinDir), else null.
  std::shared_ptr<const UniqueFd> Pinned(std::string_view dir) const {
    if (!any_pinned_.load(std::memory_order_acquire)) return nullptr;
    std::shared_lock lock(pinned_mu_);
    auto it = pinned_.find(dir);
    return it == pinned_.end() ? nullptr : it->second;
  }

  void Unpin(const std::string& path) {
    if (!any_pinned_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(pinned_mu_);
    pinned_.erase(path);
  }

  UniqueFd root_;
  std::string root_path_;
  std::atomic<bool> have_openat2_{true};
  // PinDir's directories: an O_PATH descriptor of each by path, shared with
  // the calls resolving through it, so an Rmdir that unpins one never closes
  // it under them. Few (the staging generations in use), so a sorted map.
  mutable std::shared_mutex pinned_mu_;
  std::map<std::string, std::shared_ptr<const UniqueFd>, std::less<>> pinned_;
  std::atomic<bool> any_pinned_{false};  // no lock taken before the first pin
};

}  // namespace

DirEntry::Type DirEntryType(unsigned char d_type) {
  switch (d_type) {
    case DT_REG:
      return DirEntry::Type::kRegular;
    case DT_DIR:
      return DirEntry::Type::kDirectory;
    case DT_UNKNOWN:
      return DirEntry::Type::kUnknown;
    default:
      return DirEntry::Type::kOther;
  }
}

bool IsValidBackendPath(const std::string& path) {
  if (path.empty()) return true;
  if (path.find('\0') != std::string::npos) return false;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string_view component(path.data() + pos, end - pos);
    if (component.empty() || component == "." || component == "..") return false;
    pos = end + 1;
  }
  return true;
}

Result<std::unique_ptr<Backend>> MakePosixBackend(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return Status::Errno(errno, "cannot open root directory " + root + ": " + std::strerror(errno));
  }
  // Object metadata lives in user.* xattrs: refuse a filesystem without them now,
  // rather than failing the first PUT. The probe's name is this open's own:
  // two gateways starting on one root at once removed each other's (ENODATA),
  // and one refused to start.
  static std::atomic<uint64_t> probes{0};
  const std::string kProbe =
      "user.fsgate.probe." + std::to_string(::getpid()) + "." + std::to_string(probes++);
  std::string failure;
  if (::fsetxattr(fd.get(), kProbe.c_str(), "1", 1, 0) != 0) {
    failure = "set";
  } else {
    char value[4];
    ssize_t n = ::fgetxattr(fd.get(), kProbe.c_str(), value, sizeof(value));
    if (n != 1 || value[0] != '1') {
      failure = "read back";
    } else if (::fremovexattr(fd.get(), kProbe.c_str()) != 0) {
      failure = "remove";
    }
  }
  if (!failure.empty()) {
    int err = errno == 0 ? ENOTSUP : errno;
    return Status::Errno(err, "root directory " + root + " does not support user extended " +
                                  "attributes (could not " + failure + " " + kProbe + ": " +
                                  std::strerror(err) +
                                  "); fsgate keeps object metadata in user.* xattrs — use a "
                                  "filesystem that has them (ext4, xfs, btrfs, tmpfs >= 6.6)");
  }
  return std::unique_ptr<Backend>(std::make_unique<PosixBackend>(std::move(fd), root));
}

}  // namespace fsgate::fs
