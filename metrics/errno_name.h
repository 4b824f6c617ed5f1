// The symbolic name of an errno value ("EIO", "ENOSPC"), the label value of
// fsgate_async_errors_total{errno}: stable across locales, unlike strerror().
#pragma once

#include <string>

namespace fsgate::metrics {

// "EIO" for EIO; "errno_N" for a value the C library has no name for.
std::string ErrnoName(int err);

}  // namespace fsgate::metrics
