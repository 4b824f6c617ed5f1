// Thread CPU priority, for work that may wait behind requests.
#pragma once

namespace fsgate::fsclient {

// Gives the calling thread the lowest CPU priority an unprivileged process may
// set (nice 19): it runs whenever a CPU is free and yields to every
// normal-priority thread otherwise, yet is never starved outright. Cannot be
// undone without privileges, so only for threads that stay background.
void LowerThreadPriority();

}  // namespace fsgate::fsclient
