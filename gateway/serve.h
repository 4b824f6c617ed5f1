// `fsgate serve`: opens the store (replaying the intent journal), starts the
// metrics and S3 listeners, and on SIGTERM/SIGINT drains and exits 0.
#pragma once

#include "gateway/serve_config.h"

namespace fsgate::gateway {

// Returns the process exit code: 0 after a clean drain, 1 when the store or a
// listener cannot start.
int RunServe(const ServeConfig& config);

}  // namespace fsgate::gateway
