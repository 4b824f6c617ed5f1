// libcephfs.h refuses to build without 64-bit file offsets.
#define _FILE_OFFSET_BITS 64

#include "build_config.h"

#if FSGATE_HAVE_CEPHFS

#include "fs/cephfs_backend.h"

#include <cephfs/libcephfs.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "fs/backend_util.h"
#include "fs/mds_log_nudge.h"
#include "fs/posix_backend.h"
#include "fs/read_handle_cache.h"

namespace fsgate::fs {
namespace {

constexpr unsigned kStatWant =
    CEPH_STATX_MODE | CEPH_STATX_INO | CEPH_STATX_SIZE | CEPH_STATX_MTIME;

Status CephError(int rc, const std::string& what, const std::string& path) {
  return Status::Errno(-rc, what + " " + (path.empty() ? "." : path));
}

FileStat ToFileStat(const struct ceph_statx& stx) {
  FileStat out;
  out.ino = stx.stx_ino;
  out.size = stx.stx_size;
  out.mtime_ns = static_cast<int64_t>(stx.stx_mtime.tv_sec) * 1000000000 + stx.stx_mtime.tv_nsec;
  out.is_dir = S_ISDIR(stx.stx_mode);
  out.is_regular = S_ISREG(stx.stx_mode);
  return out;
}

// A read of a file another client just wrote waits on the MDS journal: see
// mds_log_nudge.h. 10 ms: a lookup that needs an MDS round trip answers in
// 0.3-2 ms here, 7 ms at worst on 2 busy vCPUs.
constexpr std::chrono::milliseconds kNudgeAfter{10};

// One libcephfs mount (a client session with the MDS), unmounted and released
// by its destructor. Shared by the backend and its open files, so a File may
// outlive the Backend that opened it; so does the mount's MDS log nudge,
// which the files' reads need as much as the backend's lookups.
class Mount {
 public:
  explicit Mount(struct ceph_mount_info* cm) : cm_(cm) {}
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;
  ~Mount() {
    // Every CephFile, holding the mount, is gone; the cache and its sweeper
    // (which may be closing a handle) stop before the mount does.
    read_handles_.reset();
    nudge_.reset();  // its thread flushes through the mount: stopped first
    if (mounted_) ceph_unmount(cm_);
    ceph_release(cm_);
  }
  struct ceph_mount_info* get() const {
    return cm_;
  }
  const UserPerm* perms() const { return ceph_mount_perms(cm_); }
  void set_mounted() {
    mounted_ = true;
    nudge_.emplace([cm = cm_] { (void)ceph_sync_fs(cm); }, kNudgeAfter);
  }
  MdsLogNudge& nudge() { return *nudge_; }
  ReadHandleCache& read_handles() { return *read_handles_; }

 private:
  struct ceph_mount_info* cm_;
  bool mounted_ = false;
  std::optional<MdsLogNudge> nudge_;  // from the mount on
  std::unique_ptr<ReadHandleCache> read_handles_ =
      std::make_unique<ReadHandleCache>(ReadHandleCache::Options{});
};

// One reference on a client-cached inode, dropped with ceph_ll_put.
class InodeRef {
 public:
  InodeRef() = default;
  InodeRef(struct ceph_mount_info* cm, Inode* in) : cm_(cm), in_(in) {}
  InodeRef(InodeRef&& other) noexcept : cm_(other.cm_), in_(std::exchange(other.in_, nullptr)) {}
  InodeRef& operator=(InodeRef&& other) noexcept {
    if (this != &other) {
      Reset();
      cm_ = other.cm_;
      in_ = std::exchange(other.in_, nullptr);
    }
    return *this;
  }
  InodeRef(const InodeRef&) = delete;
  InodeRef& operator=(const InodeRef&) = delete;
  ~InodeRef() { Reset(); }

  Inode* get() const { return in_; }
  void Reset() {
    if (in_ != nullptr) ceph_ll_put(cm_, in_);
    in_ = nullptr;
  }

 private:
  struct ceph_mount_info* cm_ = nullptr;
  Inode* in_ = nullptr;
};

// A node of the tree: the inode (owned, or the root's, which the backend owns)
// and its attributes at lookup.
struct Node {
  InodeRef owned;
  Inode* in = nullptr;
  struct ceph_statx stx {};
};

Result<std::string> InodeGetXattr(Mount& m, Inode* in, const std::string& name,
                                  const std::string& what) {
  MdsLogNudge::Guard waiting(m.nudge());
  return GetXattrValue(
      [&](char* buf, size_t size) -> long {
        return ceph_ll_getxattr(m.get(), in, name.c_str(), buf, size, m.perms());
      },
      "getxattr " + what);
}

Status InodeSetXattr(const Mount& m, Inode* in, const std::string& name, std::string_view value,
                     const std::string& what) {
  int rc = ceph_ll_setxattr(m.get(), in, name.c_str(), value.data(), value.size(), 0, m.perms());
  return rc < 0 ? CephError(rc, "setxattr", what) : Status::Ok();
}

Status InodeRemoveXattr(const Mount& m, Inode* in, const std::string& name,
                        const std::string& what) {
  int rc = ceph_ll_removexattr(m.get(), in, name.c_str(), m.perms());
  return rc < 0 ? CephError(rc, "removexattr", what) : Status::Ok();
}

class CephFile final : public File {
 public:
  CephFile(std::shared_ptr<Mount> mount, InodeRef inode, Fh* fh, std::string path)
      : mount_(std::move(mount)), inode_(std::move(inode)), fh_(fh), path_(std::move(path)) {}
  // A read through a handle of the mount's ReadHandleCache, left open at Close.
  CephFile(std::shared_ptr<Mount> mount, InodeRef inode, ReadHandleCache::Handle cached,
           std::string path)
      : mount_(std::move(mount)),
        inode_(std::move(inode)),
        fh_(static_cast<Fh*>(cached.get())),
        cached_(std::move(cached)),
        path_(std::move(path)) {}
  ~CephFile() override { (void)Close(); }

  Result<size_t> PRead(uint64_t offset, std::span<char> buf) override {
    // ceph_ll_read returns an int: at most 1 GiB per call.
    uint64_t len = std::min<uint64_t>(buf.size(), 1u << 30);
    MdsLogNudge::Guard waiting(mount_->nudge());
    int n = ceph_ll_read(cm(), fh_, static_cast<int64_t>(offset), len, buf.data());
    if (n < 0) return CephError(n, "read", path_);
    return static_cast<size_t>(n);
  }

  Status PWrite(uint64_t offset, std::span<const char> data) override {
    while (!data.empty()) {
      uint64_t len = std::min<uint64_t>(data.size(), 1u << 30);
      int n = ceph_ll_write(cm(), fh_, static_cast<int64_t>(offset), len, data.data());
      if (n < 0) return CephError(n, "write", path_);
      if (n == 0) return Status::Errno(EIO, "write " + path_ + ": no progress");
      data = data.subspan(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    struct ceph_statx stx {};
    stx.stx_size = size;
    int rc = ceph_ll_setattr(cm(), inode_.get(), &stx, CEPH_SETATTR_SIZE, mount_->perms());
    return rc < 0 ? CephError(rc, "truncate", path_) : Status::Ok();
  }

  Status Sync() override {
    int rc = ceph_ll_fsync(cm(), fh_, 0);
    return rc < 0 ? CephError(rc, "fsync", path_) : Status::Ok();
  }

  Status SyncData() override {
    int rc = ceph_ll_fsync(cm(), fh_, 1);
    return rc < 0 ? CephError(rc, "fdatasync", path_) : Status::Ok();
  }

  Result<FileStat> Stat() override {
    struct ceph_statx stx {};
    MdsLogNudge::Guard waiting(mount_->nudge());
    int rc = ceph_ll_getattr(cm(), inode_.get(), &stx, kStatWant, 0, mount_->perms());
    if (rc < 0) return CephError(rc, "stat", path_);
    return ToFileStat(stx);
  }

  Status SetMtime(int64_t mtime_ns) override {
    struct ceph_statx stx {};
    stx.stx_mtime.tv_sec = static_cast<time_t>(mtime_ns / 1000000000);
    stx.stx_mtime.tv_nsec = static_cast<long>(mtime_ns % 1000000000);
    int rc = ceph_ll_setattr(cm(), inode_.get(), &stx, CEPH_SETATTR_MTIME, mount_->perms());
    return rc < 0 ? CephError(rc, "setattr mtime", path_) : Status::Ok();
  }

  Result<std::string> GetXattr(const std::string& name) override {
    return InodeGetXattr(*mount_, inode_.get(), name, path_);
  }
  Status SetXattr(const std::string& name, std::string_view value) override {
    return InodeSetXattr(*mount_, inode_.get(), name, value, path_);
  }
  Status RemoveXattr(const std::string& name) override {
    return InodeRemoveXattr(*mount_, inode_.get(), name, path_);
  }

  Result<std::vector<std::string>> ListXattrs() override {
    MdsLogNudge::Guard waiting(mount_->nudge());
    return ListXattrNames(
        [&](char* buf, size_t size) -> long {
          size_t used = 0;
          int rc = ceph_ll_listxattr(cm(), inode_.get(), buf, size, &used, mount_->perms());
          return rc < 0 ? rc : static_cast<long>(used);
        },
        "listxattr " + path_);
  }

  // libcephfs 16.2 has no server-side copy (copy_file_range) for ll handles.
  Status CopyFrom(File& src, uint64_t src_offset, uint64_t dst_offset, uint64_t len) override {
    return CopyThroughBuffer(src, src_offset, *this, dst_offset, len);
  }

  Fh* fh() const { return fh_; }
  const std::string& path() const { return path_; }

  Status Close() override {
    if (fh_ == nullptr) return Status::Ok();
    if (cached_) {
      fh_ = nullptr;
      cached_.reset();
      inode_.Reset();
      return Status::Ok();
    }
    int rc = ceph_ll_close(cm(), std::exchange(fh_, nullptr));
    inode_.Reset();
    return rc < 0 ? CephError(rc, "close", path_) : Status::Ok();
  }

 private:
  struct ceph_mount_info* cm() const {
    return mount_->get();
  }

  std::shared_ptr<Mount> mount_;
  InodeRef inode_;
  Fh* fh_;
  ReadHandleCache::Handle cached_;  // set when fh_ is the cache's
  std::string path_;
};

// POSIX byte-range locks through the MDS, one lock owner per handle. An
// owner with the top bit set is compared by owner alone, not owner and pid
// (ceph_filelock_owner_equal), as the kernel client's are.
class CephRangeLock final : public RangeLock {
 public:
  CephRangeLock(std::shared_ptr<Mount> mount, std::unique_ptr<CephFile> file)
      : mount_(std::move(mount)), file_(std::move(file)), owner_(NextOwner()) {}
  ~CephRangeLock() override { (void)Set(0, 0, F_UNLCK); }

  Status Lock(uint64_t offset, uint64_t len, LockMode mode) override {
    return Set(offset, len, FlockType(mode));
  }
  Status Unlock(uint64_t offset, uint64_t len) override { return Set(offset, len, F_UNLCK); }
  Result<bool> Conflicts(uint64_t offset, uint64_t len, LockMode mode) override {
    struct flock lock = FlockRange(offset, len, FlockType(mode), ::getpid());
    if (int rc = ceph_ll_getlk(mount_->get(), file_->fh(), &lock, owner_); rc < 0) {
      return CephError(rc, "getlk", file_->path());
    }
    return lock.l_type != F_UNLCK;
  }

 private:
  static uint64_t NextOwner() {
    static std::atomic<uint64_t> next{1};
    return (1ull << 63) | next.fetch_add(1);
  }
  Status Set(uint64_t offset, uint64_t len, short type) {
    struct flock lock = FlockRange(offset, len, type, ::getpid());
    int rc = ceph_ll_setlk(mount_->get(), file_->fh(), &lock, owner_, /*sleep=*/0);
    if (rc == -EAGAIN || rc == -EACCES) rc = -EWOULDBLOCK;
    return rc < 0 ? CephError(rc, "setlk", file_->path()) : Status::Ok();
  }

  std::shared_ptr<Mount> mount_;
  std::unique_ptr<CephFile> file_;
  const uint64_t owner_;
};

class CephfsBackend final : public Backend {
 public:
  CephfsBackend(std::shared_ptr<Mount> mount, InodeRef root, std::string name)
      : mount_(std::move(mount)),
        root_(std::move(root)),
        name_(std::move(name)),
        nudge_(mount_->nudge()) {}

  std::string Name() const override { return name_; }

  // Measured on the dev cluster (4 KiB PUT, 1 connection, fsync on): with the
  // applier's six workers applying behind the answers, an async PUT answered
  // 248-369/s (as many as sync); with one apply in flight while requests come
  // in, 397-683/s. The answer's journal fsync and lookups wait on the client
  // lock, the MDS and the OSD behind every apply in flight.
  int BackgroundCallsWhileBusy() const override { return 1; }
  bool RemoteMetadata() const override { return true; }

  Result<std::unique_ptr<FileLock>> LockExclusive(const std::string& path) override;

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    if (path.empty()) return Status::Errno(EISDIR, "open of the root");
    auto parent = ResolveParent(path);
    if (!parent.ok()) return parent.status();
    // A name created by another client between our lookup and create makes
    // the exclusive create fail: look it up again, once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (mode != OpenMode::kCreateExclusive) {
        auto node = Lookup(parent->dir, parent->name, path);
        if (node.ok()) return OpenExisting(std::move(*node), mode, path);
        if (mode != OpenMode::kCreateTruncate || !node.status().IsErrno(ENOENT)) {
          return node.status();
        }
      }
      Inode* in = nullptr;
      Fh* fh = nullptr;
      struct ceph_statx stx {};
      int rc = ceph_ll_create(cm(), parent->dir, parent->name.c_str(), 0644,
                              O_RDWR | O_CREAT | O_EXCL, &in, &fh, &stx, 0, 0, perms());
      if (rc == 0) {
        return std::unique_ptr<File>(
            std::make_unique<CephFile>(mount_, InodeRef(cm(), in), fh, path));
      }
      if (rc != -EEXIST || mode == OpenMode::kCreateExclusive) return CephError(rc, "open", path);
    }
    return Status::Errno(EAGAIN, "open " + path + ": created and removed concurrently");
  }

  Result<std::unique_ptr<RangeLock>> OpenRangeLock(const std::string& path) override {
    // Never O_TRUNC: that would revoke the caps of every client that has it open.
    auto file = Open(path, OpenMode::kReadWrite);
    if (!file.ok() && file.status().IsErrno(ENOENT)) file = Open(path, OpenMode::kCreateExclusive);
    if (!file.ok() && file.status().IsErrno(EEXIST)) file = Open(path, OpenMode::kReadWrite);
    if (!file.ok()) return file.status();
    std::unique_ptr<CephFile> ceph(static_cast<CephFile*>(file->release()));
    return std::unique_ptr<RangeLock>(std::make_unique<CephRangeLock>(mount_, std::move(ceph)));
  }

  Result<FileStat> Stat(const std::string& path) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/false);
    if (!node.ok()) return node.status();
    return ToFileStat(node->stx);
  }

  Status Mkdir(const std::string& path) override {
    auto parent = ResolveParentOf(path, "mkdir");
    if (!parent.ok()) return parent.status();
    Inode* out = nullptr;
    struct ceph_statx stx {};
    int rc =
        ceph_ll_mkdir(cm(), parent->dir, parent->name.c_str(), 0755, &out, &stx, 0, 0, perms());
    if (rc < 0) return CephError(rc, "mkdir", path);
    InodeRef drop(cm(), out);
    return Status::Ok();
  }

  Status Rmdir(const std::string& path) override {
    auto parent = ResolveParentOf(path, "rmdir");
    if (!parent.ok()) return parent.status();
    int rc = ceph_ll_rmdir(cm(), parent->dir, parent->name.c_str(), perms());
    return rc < 0 ? CephError(rc, "rmdir", path) : Status::Ok();
  }

  Status Unlink(const std::string& path) override {
    auto parent = ResolveParentOf(path, "unlink");
    if (!parent.ok()) return parent.status();
    int rc = ceph_ll_unlink(cm(), parent->dir, parent->name.c_str(), perms());
    return rc < 0 ? CephError(rc, "unlink", path) : Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    return RenameTo(from, to).status();
  }

  // The linked name looked up in the rename's own destination inode: the
  // rename's reply left that dentry in the client's cache, where a Stat(to)
  // walked the whole path again, one lookup per component.
  Status RenameAndStat(const std::string& from, const std::string& to, FileStat* linked) override {
    auto dst = RenameTo(from, to);
    if (!dst.ok()) return dst.status();
    if (auto node = Lookup(dst->dir, dst->name, to); node.ok()) *linked = ToFileStat(node->stx);
    return Status::Ok();
  }

  Status Link(const std::string& from, const std::string& to) override {
    auto node = ResolveNode(from, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    auto dst = ResolveParentOf(to, "link");
    if (!dst.ok()) return dst.status();
    int rc = ceph_ll_link(cm(), node->in, dst->dir, dst->name.c_str(), perms());
    return rc < 0 ? CephError(rc, "link", from + " -> " + to) : Status::Ok();
  }

  // libcephfs's rename has no flags: a hard link (EEXIST from the MDS when
  // the name exists, decided there for every client) then the unlink of
  // `from`. A crash between them leaves `from` a second name of the file,
  // which the staging sweep removes (it holds the object's attributes, so it
  // is not adopted).
  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    if (Status s = Link(from, to); !s.ok()) return s;
    return Unlink(from);
  }

  Result<std::vector<DirEntry>> ReadDir(const std::string& path) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    if (!S_ISDIR(node->stx.stx_mode)) return Status::Errno(ENOTDIR, "opendir " + path);
    struct ceph_dir_result* dir = nullptr;
    if (int rc = ceph_ll_opendir(cm(), node->in, &dir, perms()); rc < 0) {
      return CephError(rc, "opendir", path);
    }
    struct Releaser {
      struct ceph_mount_info* cm;
      struct ceph_dir_result* dir;
      ~Releaser() { ceph_ll_releasedir(cm, dir); }
    } releaser{cm(), dir};
    std::vector<DirEntry> entries;
    for (;;) {
      struct dirent ent {};
      int rc = ceph_readdir_r(cm(), dir, &ent);
      if (rc < 0) return CephError(rc, "readdir", path);
      if (rc == 0) break;
      if (std::strcmp(ent.d_name, ".") == 0 || std::strcmp(ent.d_name, "..") == 0) continue;
      DirEntry entry;
      entry.name = ent.d_name;
      entry.type = DirEntryType(ent.d_type);
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  // Waits until the MDS has journaled (safe reply) every create, rename and
  // unlink made in this directory so far; the first, "unsafe" reply only
  // says the change is in the MDS's memory.
  Status SyncDir(const std::string& path) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    int rc = ceph_ll_sync_inode(cm(), node->in, 0);
    return rc < 0 ? CephError(rc, "fsync", path) : Status::Ok();
  }

  Status SyncFs() override {
    int rc = ceph_sync_fs(cm());
    return rc < 0 ? CephError(rc, "syncfs", name_) : Status::Ok();
  }

  Result<std::string> GetXattr(const std::string& path, const std::string& name) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    return InodeGetXattr(*mount_, node->in, name, path);
  }

  Status SetXattr(const std::string& path, const std::string& name,
                  std::string_view value) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    return InodeSetXattr(*mount_, node->in, name, value, path);
  }

  Status RemoveXattr(const std::string& path, const std::string& name) override {
    auto node = ResolveNode(path, /*refuse_symlink=*/true);
    if (!node.ok()) return node.status();
    return InodeRemoveXattr(*mount_, node->in, name, path);
  }

 private:
  // The directory holding a path's last component, and that component.
  struct Parent {
    InodeRef owned;  // empty when the parent is the root
    Inode* dir = nullptr;
    std::string name;
  };

  struct ceph_mount_info* cm() const {
    return mount_->get();
  }
  const UserPerm* perms() const { return mount_->perms(); }

  Result<Node> Lookup(Inode* dir, const std::string& name, const std::string& path) {
    Node node;
    MdsLogNudge::Guard waiting(nudge_);
    int rc = ceph_ll_lookup(cm(), dir, name.c_str(), &node.in, &node.stx, kStatWant, 0, perms());
    if (rc < 0) return CephError(rc, "lookup", path);
    node.owned = InodeRef(cm(), node.in);
    return node;
  }

  // Walks `path` (validated, non-empty) down to its parent directory; every
  // component on the way must be a directory: a symlink is ELOOP, anything
  // else ENOTDIR, as the posix backend's RESOLVE_NO_SYMLINKS walk answers.
  Result<Parent> ResolveParent(const std::string& path) {
    if (!IsValidBackendPath(path) || path.empty()) {
      return Status::Errno(EINVAL, "invalid backend path '" + path + "'");
    }
    Parent parent;
    parent.dir = root_.get();
    size_t pos = 0;
    for (size_t slash; (slash = path.find('/', pos)) != std::string::npos; pos = slash + 1) {
      auto node = Lookup(parent.dir, path.substr(pos, slash - pos), path);
      if (!node.ok()) return node.status();
      if (!S_ISDIR(node->stx.stx_mode)) {
        return Status::Errno(S_ISLNK(node->stx.stx_mode) ? ELOOP : ENOTDIR, "lookup " + path);
      }
      parent.owned = std::move(node->owned);
      parent.dir = node->in;
    }
    parent.name = path.substr(pos);
    return parent;
  }

  // Renames `from` to `to`; returns the destination's parent, held.
  Result<Parent> RenameTo(const std::string& from, const std::string& to) {
    auto src = ResolveParentOf(from, "rename");
    if (!src.ok()) return src.status();
    auto dst = ResolveParentOf(to, "rename");
    if (!dst.ok()) return dst.status();
    int rc =
        ceph_ll_rename(cm(), src->dir, src->name.c_str(), dst->dir, dst->name.c_str(), perms());
    if (rc < 0) return CephError(rc, "rename", from + " -> " + to);
    return dst;
  }

  Result<Parent> ResolveParentOf(const std::string& path, const char* what) {
    if (path.empty()) return Status::Errno(EINVAL, std::string(what) + " of the root");
    return ResolveParent(path);
  }

  // The node at `path` itself ("" is the root); with refuse_symlink, a symlink
  // there is ELOOP (O_NOFOLLOW's answer) rather than the link's own inode.
  Result<Node> ResolveNode(const std::string& path, bool refuse_symlink) {
    if (path.empty()) {
      Node node;
      node.in = root_.get();
      MdsLogNudge::Guard waiting(nudge_);
      int rc = ceph_ll_getattr(cm(), node.in, &node.stx, kStatWant, 0, perms());
      if (rc < 0) return CephError(rc, "stat", path);
      return node;
    }
    auto parent = ResolveParent(path);
    if (!parent.ok()) return parent.status();
    auto node = Lookup(parent->dir, parent->name, path);
    if (node.ok() && refuse_symlink && S_ISLNK(node->stx.stx_mode)) {
      return Status::Errno(ELOOP, "symlink at " + path);
    }
    return node;
  }

  Result<std::unique_ptr<File>> OpenExisting(Node node, OpenMode mode, const std::string& path) {
    const mode_t type = node.stx.stx_mode & S_IFMT;
    if (type == S_IFDIR) return Status::Errno(EISDIR, "open " + path);
    if (type == S_IFLNK) return Status::Errno(ELOOP, "open of a symlink " + path);
    if (type != S_IFREG) return Status::Errno(EINVAL, "open of a non-regular file " + path);
    int flags = O_RDWR;
    if (mode == OpenMode::kRead) flags = O_RDONLY;
    if (mode == OpenMode::kCreateTruncate) flags = O_RDWR | O_TRUNC;
    // A log's write goes to the OSD at once, around the ObjectCacher, and its
    // sync then has nothing to flush: one hop fewer before the commit wakes
    // the writer. 4 KiB-spaced 512-byte writes into a preallocated file, each
    // with ceph_fsync(dataonly), on the dev cluster (a loaded 2-CPU machine):
    // p50 0.75-0.92 ms buffered, 0.46-0.67 ms with O_DIRECT. Such writes leave
    // what this client cached of the range as it was (a read through another
    // handle here still saw the old bytes), hence kReadWriteLog's promise
    // that nothing reads the file back while it is written.
    if (mode == OpenMode::kReadWriteLog) flags = O_RDWR | O_DIRECT;
    if (mode == OpenMode::kRead) return OpenCachedRead(std::move(node), path);
    Fh* fh = nullptr;
    MdsLogNudge::Guard waiting(nudge_);
    if (int rc = ceph_ll_open(cm(), node.in, flags, &fh, perms()); rc < 0) {
      return CephError(rc, "open", path);
    }
    return std::unique_ptr<File>(
        std::make_unique<CephFile>(mount_, std::move(node.owned), fh, path));
  }

  // A read-only open through the mount's ReadHandleCache (read_handle_cache.h:
  // a handle kept open spares the MDS a cap message at each open and close).
  // The open Fh holds the Inode, so the Inode* key stays this file's while cached.
  Result<std::unique_ptr<File>> OpenCachedRead(Node node, const std::string& path) {
    auto handle = mount_->read_handles().Get(node.in, [&]() -> Result<ReadHandleCache::Handle> {
      Fh* fh = nullptr;
      MdsLogNudge::Guard waiting(nudge_);
      if (int rc = ceph_ll_open(cm(), node.in, O_RDONLY, &fh, perms()); rc < 0) {
        return CephError(rc, "open", path);
      }
      return ReadHandleCache::Handle(
          fh, [cm = cm()](void* open) { (void)ceph_ll_close(cm, static_cast<Fh*>(open)); });
    });
    if (!handle.ok()) return handle.status();
    return std::unique_ptr<File>(
        std::make_unique<CephFile>(mount_, std::move(node.owned), std::move(*handle), path));
  }

  std::shared_ptr<Mount> mount_;
  InodeRef root_;
  std::string name_;
  MdsLogNudge& nudge_;  // the mount's
};

// A POSIX write lock on the whole file through the MDS: a lock held by a
// client on another machine conflicts too, and the MDS lets go of a dead
// client's when it closes its session (session_timeout + session_autoclose:
// 31 s after a kill -9 on the dev cluster, whose 30 s each are the least the
// MDS map accepts). Its owner has the top bit set, so it is compared by owner
// alone, not owner and pid (ceph_filelock_owner_equal), and each lock has its
// own: two in one process conflict, as two processes' do.
class CephFileLock final : public FileLock {
 public:
  CephFileLock(std::shared_ptr<Mount> mount, std::unique_ptr<CephFile> file)
      : mount_(std::move(mount)), file_(std::move(file)), owner_(NextOwner()) {}
  ~CephFileLock() override { (void)Set(F_UNLCK); }

  Status Set(short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
    lock.l_pid = ::getpid();
    int rc = ceph_ll_setlk(mount_->get(), file_->fh(), &lock, owner_, /*sleep=*/0);
    if (rc == -EAGAIN || rc == -EACCES) rc = -EWOULDBLOCK;
    return rc < 0 ? CephError(rc, "lock", file_->path()) : Status::Ok();
  }

 private:
  static uint64_t NextOwner() {
    static std::atomic<uint64_t> next{1};
    return (1ull << 63) | next.fetch_add(1);
  }

  std::shared_ptr<Mount> mount_;
  std::unique_ptr<CephFile> file_;
  const uint64_t owner_;
};

Result<std::unique_ptr<FileLock>> CephfsBackend::LockExclusive(const std::string& path) {
  // Never O_TRUNC: that would revoke the caps of every client that has it open.
  auto file = Open(path, OpenMode::kReadWrite);
  if (!file.ok() && file.status().IsErrno(ENOENT)) file = Open(path, OpenMode::kCreateExclusive);
  if (!file.ok() && file.status().IsErrno(EEXIST)) file = Open(path, OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  auto lock = std::make_unique<CephFileLock>(
      mount_, std::unique_ptr<CephFile>(static_cast<CephFile*>(file->release())));
  if (Status s = lock->Set(F_WRLCK); !s.ok()) return s;
  return std::unique_ptr<FileLock>(std::move(lock));
}

// Sets the client option `name` to `ours` where the conf leaves it at the
// library's default: a value the operator's ceph.conf sets is left as it is.
void SetUnlessConfigured(struct ceph_mount_info* cm, const char* name, const char* library_default,
                         const char* ours) {
  char value[32] = {};
  if (ceph_conf_get(cm, name, value, sizeof(value)) == 0 &&
      std::strcmp(value, library_default) == 0) {
    (void)ceph_conf_set(cm, name, ours);
  }
}

// By default libcephfs gathers its client's debug messages up to level 5 in
// memory (debug_client 0/5: logged at 0, kept at 5 for a crash dump), so every
// call formats several lines and wakes the "log" thread that files them away.
// Measured with perf on an async PUT load at 1 connection: that thread alone
// was 10 % of fsgate's CPU samples. Levels at their library default gather
// nothing; a level the operator's ceph.conf sets is left as it is.
void QuietDebugGathering(struct ceph_mount_info* cm) {
  static constexpr std::pair<const char*, const char*> kDefaults[] = {
      {"debug_client", "0/5"}, {"debug_objectcacher", "0/5"}, {"debug_objecter", "0/1"},
      {"debug_filer", "0/1"},  {"debug_striper", "0/1"},      {"debug_monc", "0/10"},
  };
  for (const auto& [name, library_default] : kDefaults) {
    SetUnlessConfigured(cm, name, library_default, "0/0");
  }
}

// libcephfs lets go of the caps a closed file's handle no longer needs (Fw,
// Fx and the client's max_size) client_caps_release_delay after the close,
// 5 s by default: one cap message each, and the next open for writing then
// asks the MDS again — an open request, then a cap update for a max_size and
// its grant before the first write. The staging pool creates its files
// (each create issues those caps) seconds to minutes before the applier
// opens them to write an object's body, so every async PUT paid that, and
// the pool's refill sent its releases in bursts of thousands. Held for
// kCapsReleaseDelay instead, a pool file used within it is opened and
// written with no MDS message. Measured on the dev cluster (50 async 4 KiB
// PUTs at 1 connection, the client's message log): MDS requests per PUT
// 3 -> 2, cap messages 10.6 -> 8.3. Other clients are not kept waiting:
// caps another one needs are revoked as before; a client keeps only caps it
// was granted, and a sync(fs) still flushes every dirty one. A delay the
// operator's ceph.conf sets is left as it is.
constexpr const char* kCapsReleaseDelay = "60";

void HoldCapsOfClosedFiles(struct ceph_mount_info* cm) {
  SetUnlessConfigured(cm, "client_caps_release_delay", "5", kCapsReleaseDelay);
}

// libcephfs keeps client_cache_size inodes (16,384 by default, sized for a
// desktop mount); past that it trims the least recently used, and the next
// GET of a trimmed object asks the MDS again for its dentry, inode and caps.
// A gateway's working set is the objects its clients read: GET at 16
// connections over 24,000 applier-made 4 KiB objects read in turn on the dev
// cluster (the second pass, fresh gateway): 2,200-2,500 GET/s and 330-390 us
// of fsgate CPU a GET with 16,384, 14,100-15,300/s and 88-97 us with 65,536.
// The memory this holds, measured: a fresh gateway reading 64,000 such
// objects in turn went from 79 to 733 MiB RSS with 65,538 inodes cached,
// about 7 KiB an inode with its xattrs and caps besides file data in the
// object cacher (client_oc_size, 200 MiB by default). A size the operator's
// ceph.conf sets is left as it is.
constexpr const char* kClientCacheSize = "65536";

void CacheTheWorkingSet(struct ceph_mount_info* cm) {
  SetUnlessConfigured(cm, "client_cache_size", "16384", kClientCacheSize);
}

// A mount of `root` with the options' identity, config and filesystem.
Result<std::shared_ptr<Mount>> Connect(const CephfsOptions& options, const std::string& root) {
  struct ceph_mount_info* cm = nullptr;
  if (int rc = ceph_create(&cm, options.id.c_str()); rc < 0) {
    return Status::Errno(-rc, "ceph_create for client." + options.id + ": " + std::strerror(-rc));
  }
  auto mount = std::make_shared<Mount>(cm);
  if (int rc = ceph_conf_read_file(cm, options.conf_file.c_str()); rc < 0) {
    return Status::Errno(
        -rc, "cannot read the Ceph config " + options.conf_file + ": " + std::strerror(-rc));
  }
  // libcephfs's own messages go to its log file (log_file in the conf), not
  // into fsgate's output: a failed mount is fsgate's one line, not two.
  (void)ceph_conf_set(cm, "err_to_stderr", "false");
  (void)ceph_conf_set(cm, "log_to_stderr", "false");
  QuietDebugGathering(cm);
  HoldCapsOfClosedFiles(cm);
  CacheTheWorkingSet(cm);
  // Reaching the monitors is bounded by mount_timeout_seconds; the mount's own
  // lookup of `root` is not: after a kill -9 the dead client's session may hold
  // caps on `root`, and the MDS answers only once it has evicted that session
  // (session_timeout + session_autoclose: ~35 s on the dev cluster, measured by
  // tests/crash/crash_check.py --ceph-conf, where 10 s failed restarts).
  char configured[64] = {};
  const bool has_configured =
      ceph_conf_get(cm, "client_mount_timeout", configured, sizeof(configured)) == 0;
  if (has_configured && std::atof(configured) > options.mount_timeout_seconds) {
    (void)ceph_conf_set(cm, "client_mount_timeout",
                        std::to_string(options.mount_timeout_seconds).c_str());
  }
  if (!options.fs_name.empty()) {
    if (int rc = ceph_select_filesystem(cm, options.fs_name.c_str()); rc < 0) {
      return Status::Errno(-rc,
                           "cannot select CephFS '" + options.fs_name + "': " + std::strerror(-rc));
    }
  }
  const auto unreachable = [&](int rc) {
    std::string why = std::strerror(-rc);
    if (rc == -ETIMEDOUT) {
      why += " (no answer within " + std::to_string(options.mount_timeout_seconds) +
             " s: is the cluster up, and are the monitors in " + options.conf_file + " right?)";
    }
    return Status::Errno(-rc, "cannot reach the Ceph cluster of " + options.conf_file +
                                  " as client." + options.id + ": " + why);
  };
  if (int rc = ceph_init(cm); rc < 0) return unreachable(rc);
  if (has_configured) (void)ceph_conf_set(cm, "client_mount_timeout", configured);
  if (int rc = ceph_mount(cm, root.c_str()); rc < 0) {
    std::string why = std::strerror(-rc);
    if (rc == -ENOENT && root == "/" && !options.fs_name.empty()) {
      why = "the cluster has no filesystem of that name";
    } else if (rc == -ETIMEDOUT) {
      why += std::string(" (no answer within client_mount_timeout, ") + configured +
             " s: is an MDS up?)";
    }
    return Status::Errno(-rc, "cannot mount CephFS" +
                                  (options.fs_name.empty() ? "" : " '" + options.fs_name + "'") +
                                  " at " + root + " as client." + options.id + ": " + why);
  }
  mount->set_mounted();
  return mount;
}

}  // namespace

Result<std::unique_ptr<Backend>> MakeCephfsBackend(const CephfsOptions& options) {
  if (options.conf_file.empty()) {
    return Status::Errno(EINVAL, "--backend cephfs needs --ceph-conf FILE");
  }
  if (::access(options.conf_file.c_str(), R_OK) != 0) {
    return Status::Errno(
        errno, "cannot read the Ceph config " + options.conf_file + ": " + std::strerror(errno));
  }
  std::string root = options.root.empty() ? "/" : options.root;
  auto mount = Connect(options, root);
  if (!mount.ok() && mount.status().IsErrno(ENOENT) && root != "/") {
    // --ceph-root is missing: create it through a mount of the top, then
    // mount it, so that the MDS itself holds this client beneath it.
    auto top = Connect(options, "/");
    if (!top.ok()) return top.status();
    if (int rc = ceph_mkdirs((*top)->get(), root.c_str(), 0755); rc < 0 && rc != -EEXIST) {
      return Status::Errno(-rc, "cannot create --ceph-root " + root + ": " + std::strerror(-rc));
    }
    mount = Connect(options, root);
  }
  if (!mount.ok()) return mount.status();
  Inode* root_inode = nullptr;
  if (int rc = ceph_ll_lookup_root((*mount)->get(), &root_inode); rc < 0) {
    return Status::Errno(-rc, "cannot look up --ceph-root " + root + ": " + std::strerror(-rc));
  }
  InodeRef root_ref((*mount)->get(), root_inode);
  std::string name =
      "cephfs:" + (options.fs_name.empty() ? std::string("default") : options.fs_name) + ":" + root;
  return std::unique_ptr<Backend>(
      std::make_unique<CephfsBackend>(std::move(*mount), std::move(root_ref), std::move(name)));
}

}  // namespace fsgate::fs

#endif  // FSGATE_HAVE_CEPHFS
