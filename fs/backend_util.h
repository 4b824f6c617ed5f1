// Small helpers over the Backend interface shared by the async dirops code.
#pragma once

#include <string>

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

// The parent of a backend path ("" for a top-level name).
std::string ParentPath(const std::string& path);

}  // namespace fsgate::fs
