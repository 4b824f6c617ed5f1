#include "base/wait_word.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fsgate {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

void WaitWord::WaitWhile(uint32_t seen) {
  if (Load() != seen) return;
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  // Counted first, then looked: an Advance that read no sleepers moved the
  // word before this load. EAGAIN (it moved before the sleep) and EINTR both
  // return: callers look again.
  if (word_.load(std::memory_order_seq_cst) == seen) {
    (void)::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), FUTEX_WAIT_PRIVATE, seen,
                    nullptr, nullptr, 0);
  }
  sleepers_.fetch_sub(1, std::memory_order_release);
}

void WaitWord::Advance(int count) {
  word_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) == 0) return;
  (void)::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), FUTEX_WAKE_PRIVATE, count,
                  nullptr, nullptr, 0);
}

}  // namespace fsgate
