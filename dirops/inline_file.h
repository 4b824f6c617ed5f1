// A read-only File over bytes held in memory: how a pending inline create is
// read before the applier has written it out.
#pragma once

#include <memory>
#include <string>

#include "fs/backend.h"

namespace fsgate::dirops {

std::shared_ptr<fs::File> MakeInlineFile(std::shared_ptr<const std::string> data, int64_t mtime_ns);

// Writes a body that rode inline (in memory or in the journal) into an open
// staging file that is empty or holds what an earlier attempt wrote of it.
Status WriteInlineBody(fs::File& file, const std::string& data);

}  // namespace fsgate::dirops
