// The open-file limit, and the connections it affords: a connection that
// cannot get its descriptors is refused, so --max-connections is sized at
// start to what the limit allows, rather than found out under load.
#pragma once

#include <cstdint>

namespace fsgate::gateway {

// Raises the soft RLIMIT_NOFILE to the hard limit, then returns `wanted`
// lowered to the connections the limit affords, logging a warning when it
// had to be lowered.
int64_t FitConnectionsToOpenFileLimit(int64_t wanted);

}  // namespace fsgate::gateway
