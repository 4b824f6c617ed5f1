#include "fsclient/multipart_expiry.h"

#include <algorithm>

#include "base/thread_priority.h"

namespace fsgate::fsclient {

MultipartExpiry::MultipartExpiry(std::chrono::seconds expiry, Scan scan)
    : expiry_(expiry), scan_(std::move(scan)) {
  thread_ = std::thread([this] { Loop(); });
}

MultipartExpiry::~MultipartExpiry() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::chrono::milliseconds MultipartExpiry::ScanInterval(std::chrono::seconds expiry) {
  const std::chrono::milliseconds tenth =
      std::chrono::duration_cast<std::chrono::milliseconds>(expiry) / 10;
  return std::clamp<std::chrono::milliseconds>(tenth, std::chrono::milliseconds(1),
                                               std::chrono::hours(1));
}

void MultipartExpiry::Loop() {
  NameThread("fsg-mpu-expiry");
  LowerThreadPriority();
  const auto interval = ScanInterval(expiry_);
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const auto cutoff = std::chrono::system_clock::now() - expiry_;
    scan_(std::chrono::duration_cast<std::chrono::nanoseconds>(cutoff.time_since_epoch()).count());
    lock.lock();
    wake_.wait_for(lock, interval, [this] { return stop_; });
  }
}

}  // namespace fsgate::fsclient
