#include "http/timed_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <ctime>

namespace fsgate::http {

size_t TimedSocket::Transfer(Iov& iov, bool reading, boost::system::error_code& ec) {
  ec = {};
  if (iov.bytes == 0) return 0;
  static_assert(sizeof(Iov::Part) == sizeof(iovec));
  msghdr msg{};
  msg.msg_iov = reinterpret_cast<iovec*>(iov.parts);
  msg.msg_iovlen = iov.count;
  // A wait skips the read before it only while the deadline is ahead: a read
  // due now (zero grace) reads what is there.
  bool wait_first = reading && drained_;
  for (;;) {
    if (wait_first && deadline_ != Clock::time_point::max() && deadline_ <= Clock::now()) {
      wait_first = false;
    }
    if (!wait_first) {
      ssize_t n = reading ? ::recvmsg(fd_, &msg, 0) : ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (n > 0) {
        if (reading) drained_ = static_cast<size_t>(n) < iov.bytes;
        return static_cast<size_t>(n);
      }
      if (n == 0) {
        ec = boost::asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec.assign(errno, boost::system::system_category());
        return 0;
      }
    }
    wait_first = false;
    // Nothing to read or no room to write yet: wait on this one descriptor
    // until the deadline. An error or hang-up makes it ready, and the next
    // recvmsg/sendmsg reports it.
    timespec wait{};
    if (deadline_ != Clock::time_point::max()) {
      auto left = deadline_ - Clock::now();
      if (left <= Clock::duration::zero()) {
        ec = boost::beast::error::timeout;
        return 0;
      }
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      wait = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    }
    pollfd pfd{fd_, static_cast<short>(reading ? POLLIN : POLLOUT), 0};
    timespec* bound = deadline_ == Clock::time_point::max() ? nullptr : &wait;
    if (::ppoll(&pfd, 1, bound, nullptr) < 0 && errno != EINTR) {
      ec.assign(errno, boost::system::system_category());
      return 0;
    }
  }
}

}  // namespace fsgate::http
