// After an unclean stop: directories that hold no object.
//
// A crash between making an object's directories and linking it, or between
// an unlink and the pruning of its parents, can leave empty directories. They
// never show through S3 (listings skip them), but the POSIX view should match
// the S3 view, so the first start after such a stop removes them — before
// serving, after the intent journal has been replayed. A drained shutdown
// leaves a marker so that an ordinary restart skips the walk.
#pragma once

#include "base/status.h"
#include "fs/backend.h"

namespace fsgate::fsclient {

// Removes, bottom-up, every directory under each bucket that holds no file
// and is not a directory object. Returns how many were removed.
Result<size_t> SweepEmptyDirectories(fs::Backend& backend, bool fsync);

// Whether the last stop was a drained shutdown; consumes the marker.
Result<bool> TakeCleanShutdownMarker(fs::Backend& backend, bool fsync);
// Leaves the marker (after a drain, at shutdown).
Status MarkCleanShutdown(fs::Backend& backend, bool fsync);

}  // namespace fsgate::fsclient
