// IdleReactor: one thread and one io_context holding every parked connection.
//
// A kept-alive connection between requests needs no thread: its descriptor
// waits for readability on this reactor's epoll (no descriptor of its own
// beside the socket), under the idle timeout. So does one whose header section
// stalled (a slow client), under the read timeout: with 500 such the process
// stays under 64 threads (it held 274 before, refusing past 256 per client). When the client sends
// its next request the connection goes back to a worker. Parking is only for connections quiet for
// longer than a worker's short grace (see http/connection.h), so a busy connection never takes this
// hop. Measured: 3,000 idle keep-alive connections held 3,015 threads and 12,015 descriptors with a
// thread and an io_context per connection; 10,000 parked ones hold 19 threads in all, 10,019
// descriptors, and 11 MiB of RSS (27 -> 38 MiB).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "http/connection_table.h"

namespace fsgate::http {

class IdleReactor {
 public:
  using ConnectionPtr = std::shared_ptr<OpenConnection>;
  // Called on the reactor thread with a connection that became readable (it
  // is busy again in the table); must not block.
  using Readable = std::function<void(ConnectionPtr)>;

  IdleReactor(ConnectionTable& table, std::chrono::steady_clock::duration idle_timeout,
              Readable readable);
  ~IdleReactor();
  IdleReactor(const IdleReactor&) = delete;
  IdleReactor& operator=(const IdleReactor&) = delete;

  void Start();
  // Stops the thread; parked connections should have been closed first.
  void Stop();
  // Any thread: `c` (busy, no unread input) waits for its next request.
  void Park(ConnectionPtr c);
  // Any thread: connections the table already let go of (evicted to make
  // room, or the server stopping) stop waiting and close.
  void Close(std::vector<ConnectionPtr> gone);
  // For Asio objects that want one (asio::ssl::stream's internal timers).
  boost::asio::any_io_executor executor();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsgate::http
