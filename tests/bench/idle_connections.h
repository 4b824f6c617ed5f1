// Many idle keep-alive connections held open against a server, the way a
// crowd of quiet clients (or one client hoarding connections) looks to it:
// each connection sends one request, reads its answer and then stays open,
// sending nothing. Plain non-Asio sockets, one descriptor each, so that ten
// thousand of them cost the load tool ten thousand descriptors and no more
// (an Asio io_context per connection would add an epoll, an eventfd and a
// timerfd to each).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fsgate::bench {

class IdleConnections {
 public:
  // Raises this process's open-file limit so `count` more descriptors fit
  // (the hard limit too when allowed, i.e. as root); false when it cannot.
  static bool MakeRoomFor(uint64_t count);

  IdleConnections() = default;
  ~IdleConnections();
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  // Opens `count` connections to host:port one after another, from the local
  // address `from` when not empty, each sending `request` (one whole HTTP/1.1
  // request without body) and reading its response's header section. A
  // connection is held when that response is 2xx and it stays open; a refused
  // one (closed, reset, not answered within 10 s) is closed and counted out.
  // Returns how many are held.
  uint64_t Open(const std::string& host, const std::string& port, const std::string& from,
                uint64_t count, const std::string& request);

  // How many held connections the server has not closed since.
  uint64_t StillOpen() const;

  double open_seconds() const { return open_seconds_; }
  const std::string& first_failure() const { return first_failure_; }

 private:
  std::vector<int> fds_;
  double open_seconds_ = 0;
  std::string first_failure_;  // why the first connection not held was not
};

}  // namespace fsgate::bench
