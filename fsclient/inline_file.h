// A read-only File over bytes held in memory: how a pending inline create is
// read before the applier has written it out.
#pragma once

#include <memory>
#include <string>

#include "fs/backend.h"

namespace fsgate::fsclient {

std::shared_ptr<fs::File> MakeInlineFile(std::shared_ptr<const std::string> data, int64_t mtime_ns);

}  // namespace fsgate::fsclient
