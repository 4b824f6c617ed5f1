// Small helpers over the Backend interface shared by the async dirops code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/types.h>

#include <cerrno>
#include "fs/backend.h"

#include "base/status.h"

namespace fsgate::fs {

// mkdir -p; with `sync`, each directory created is made durable in its parent.
Status MakeDirs(Backend& backend, const std::string& path, bool sync);

// The whole content of an open file.
Result<std::string> ReadWholeFile(File& file);

// The path holds no file: absent, or a name on it is not a directory, or it
// runs through a symlink the backend refuses to follow (to S3: no object).
inline bool IsMissing(const Status& s) {
  return s.IsErrno(ENOENT) || s.IsErrno(ENOTDIR) || s.IsErrno(ELOOP);
}

// A single path component: not empty, ".", "..", and without '/' or NUL.
bool IsOneComponent(std::string_view name);

// The backend path of `name` inside directory `dir` ("" is the root).
inline std::string ChildPath(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// The parent of a backend path ("" for a top-level name).
std::string ParentPath(const std::string& path);

// File::CopyFrom through a user-space buffer, for backends (or file pairs)
// without a server-side copy: `len` bytes of `src` at `src_offset` written to
// `dst` at `dst_offset`; EIO when the source is shorter.
Status CopyThroughBuffer(File& src, uint64_t src_offset, File& dst, uint64_t dst_offset,
                         uint64_t len);

// getxattr and listxattr through a buffer that grows until the answer fits
// (a value may change size between calls). `call(buf, size)` returns the
// length or -errno; with size 0, the length needed. `what` names the call and
// path in the error.
using XattrCall = std::function<long(char* buf, size_t size)>;
Result<std::string> GetXattrValue(const XattrCall& call, const std::string& what);
Result<std::vector<std::string>> ListXattrNames(const XattrCall& call, const std::string& what);

// The fcntl lock type of a RangeLock mode.
inline short FlockType(LockMode mode) { return mode == LockMode::kExclusive ? F_WRLCK : F_RDLCK; }
// The struct flock of a RangeLock call on [offset, offset + len): `type` is
// F_RDLCK, F_WRLCK or F_UNLCK; `pid` must be 0 for OFD locks.
inline struct flock FlockRange(uint64_t offset, uint64_t len, short type, pid_t pid) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(offset);
  lock.l_len = static_cast<off_t>(len);
  lock.l_pid = pid;
  return lock;
}

}  // namespace fsgate::fs
