#include "base/thread_priority.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace fsgate {

void LowerThreadPriority() {
  // On Linux PRIO_PROCESS with a thread id sets that thread's nice value only.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19) != 0) {
    spdlog::warn("cannot lower a background thread's priority: {}", std::strerror(errno));
  }
}

void NameThread(const char* name) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s", name);
  pthread_setname_np(pthread_self(), buf);
}

}  // namespace fsgate
