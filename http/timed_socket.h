// TimedSocket: blocking reads and writes, bounded by a deadline, on one
// non-blocking TCP descriptor — how a worker thread talks to the connection it
// serves.
//
// Why not Asio's async operations on a private io_context, as before: an
// io_context is an epoll, an eventfd and a timerfd (three descriptors beside
// the socket), and each timed read armed a timer and ran the reactor. Here a
// read is one recv(); only when nothing is there yet does a ppoll() on the
// socket itself wait, bounded by the deadline: no reactor, no timer, no
// descriptor but the socket's, no hop to another thread. Socket-side system
// calls per 4 KiB PUT on one connection (strace -c, 3,000 requests): 5.8
// before (2 epoll_wait, 1.8 recvfrom, 1 timerfd_settime, 1 sendmsg), 2.0 now
// (1 recvmsg, 1 sendmsg); per GET 5.0 before, 3.3 now.
//
// Models Asio's SyncReadStream and SyncWriteStream (so Beast's synchronous
// http::read/write and asio::write run on it) and is the next layer of
// asio::ssl::stream for TLS, which wants an executor for its (unused) timers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstddef>

namespace fsgate::http {

class TimedSocket {
 public:
  using executor_type = boost::asio::any_io_executor;
  using lowest_layer_type = TimedSocket;
  using Clock = std::chrono::steady_clock;

  // Does not own `fd`: the connection does, across many TimedSockets.
  TimedSocket(int fd, executor_type executor) : fd_(fd), executor_(std::move(executor)) {}

  lowest_layer_type& lowest_layer() { return *this; }
  const lowest_layer_type& lowest_layer() const { return *this; }
  executor_type get_executor() const { return executor_; }
  int native_handle() const { return fd_; }

  // Every following read and write fails with beast::error::timeout once
  // `deadline` passed with the peer silent (reading) or not reading (writing).
  void expires_at(Clock::time_point deadline) { deadline_ = deadline; }
  void expires_after(Clock::duration timeout) { deadline_ = Clock::now() + timeout; }

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    Iov iov;
    Gather(buffers, iov);
    return Transfer(iov, /*reading=*/true, ec);
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    Iov iov;
    Gather(buffers, iov);
    return Transfer(iov, /*reading=*/false, ec);
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    return OrThrow(read_some(buffers, ec), ec);
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    boost::system::error_code ec;
    return OrThrow(write_some(buffers, ec), ec);
  }

 private:
  // Beast hands over at most a few buffers (a head and a body); more are
  // left to the next call, as a short write would be.
  static constexpr size_t kMaxIov = 16;
  struct Iov {
    struct Part {
      void* base;
      size_t len;
    } parts[kMaxIov];
    size_t count = 0;
    size_t bytes = 0;
  };

  template <class Buffers>
  static void Gather(const Buffers& buffers, Iov& iov) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && iov.count < kMaxIov; ++it) {
      auto b = *it;
      if (b.size() == 0) continue;
      iov.parts[iov.count++] = {const_cast<void*>(static_cast<const void*>(b.data())), b.size()};
      iov.bytes += b.size();
    }
  }

  size_t Transfer(Iov& iov, bool reading, boost::system::error_code& ec);

  static size_t OrThrow(size_t n, const boost::system::error_code& ec) {
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  int fd_;
  executor_type executor_;
  Clock::time_point deadline_ = Clock::time_point::max();
  // The last read filled less than it was given: the socket was empty then,
  // and a request thread's next read (the next request, a body's next
  // segment) mostly found it still empty, a recvmsg failing with EAGAIN
  // before every ppoll. So that read waits first. Per turn on a worker: a
  // connection the idle reactor hands back is readable, and read at once.
  bool drained_ = false;
};

}  // namespace fsgate::http
