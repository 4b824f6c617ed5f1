// MultipartExpiry: aborts abandoned multipart uploads in the background, as an
// S3 lifecycle rule's AbortIncompleteMultipartUpload would, so that parts an
// interrupted client left behind do not fill the disk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace fsgate::store {

class MultipartExpiry {
 public:
  // Called with the cutoff (system clock, ns): uploads initiated before it expire.
  using Scan = std::function<void(int64_t initiated_before_ns)>;

  // Starts a low-priority thread that scans at once, then every ScanInterval(expiry).
  MultipartExpiry(std::chrono::seconds expiry, Scan scan);
  // Stops the thread, after the scan under way if there is one.
  ~MultipartExpiry();
  MultipartExpiry(const MultipartExpiry&) = delete;
  MultipartExpiry& operator=(const MultipartExpiry&) = delete;

  // Once an hour, or every tenth of the expiry when that is shorter: an upload
  // outlives its expiry by at most that much.
  static std::chrono::milliseconds ScanInterval(std::chrono::seconds expiry);

 private:
  void Loop();

  const std::chrono::seconds expiry_;
  const Scan scan_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fsgate::store
