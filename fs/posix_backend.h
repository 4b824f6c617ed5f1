// PosixBackend: the Backend over a local directory tree (the default backend).
//
// Every call resolves its path beneath one directory fd opened at start, with
// *at() syscalls, so nothing can reach outside the root: paths with empty, "."
// or ".." components or a leading '/' are refused with EINVAL, and no symlink is
// ever followed (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS for the parent
// directories where the kernel has it, a per-component O_NOFOLLOW walk where it
// does not, and O_NOFOLLOW / AT_SYMLINK_NOFOLLOW on the last component).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::fs {

// Opens `root` (which must exist and be a directory) and checks that it holds
// user extended attributes; fails with a clear message when it does not.
Result<std::unique_ptr<Backend>> MakePosixBackend(const std::string& root);

// True when `path` is a backend path: relative, '/'-separated, no empty, "."
// or ".." component. "" (the root itself) is valid.
bool IsValidBackendPath(const std::string& path);

// The entry type of a dirent's d_type (DT_REG, DT_DIR, ...).
DirEntry::Type DirEntryType(unsigned char d_type);

}  // namespace fsgate::fs
