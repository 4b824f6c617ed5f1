// The Backend `fsgate serve` runs on, from --backend and the test hooks.
#pragma once

#include <memory>

#include "fs/backend.h"
#include "gateway/serve_config.h"

namespace fsgate::gateway {

Result<std::unique_ptr<fs::Backend>> MakeBackend(const ServeConfig& config);

}  // namespace fsgate::gateway
