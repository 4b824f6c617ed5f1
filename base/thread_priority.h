// Thread CPU priority and name, for the gateway's long-lived threads.
#pragma once

namespace fsgate {

// Gives the calling thread the lowest CPU priority an unprivileged process may
// set (nice 19): it runs whenever a CPU is free and yields to every
// normal-priority thread otherwise, yet is never starved outright. Cannot be
// undone without privileges, so only for threads that stay background.
void LowerThreadPriority();

// Names the calling thread (at most 15 characters are kept) so that `top -H`,
// `ps -L` and profilers tell request threads from applier workers.
void NameThread(const char* name);

}  // namespace fsgate
