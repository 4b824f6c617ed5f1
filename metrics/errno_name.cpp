#include "metrics/errno_name.h"

#include <string.h>  // strerrorname_np (glibc >= 2.32, a GNU extension)

namespace fsgate::metrics {

std::string ErrnoName(int err) {
  if (const char* name = strerrorname_np(err)) return name;
  return "errno_" + std::to_string(err);
}

}  // namespace fsgate::metrics
