#include "tests/bench/idle_connections.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string_view>

namespace fsgate::bench {
namespace {

constexpr int kAnswerTimeoutSeconds = 10;
constexpr rlim_t kSpareDescriptors = 256;  // the active clients, the metrics probe, stdio

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list != nullptr) freeaddrinfo(list);
  }
};

// Resolves a numeric address (no DNS: this runs before every connection).
bool Resolve(const std::string& host, const std::string& port, AddrInfo& out, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  const int rc =
      getaddrinfo(host.c_str(), port.empty() ? nullptr : port.c_str(), &hints, &out.list);
  if (rc != 0) error = host + ": " + gai_strerror(rc);
  return rc == 0;
}

// One connection: connect, send the request, read a 2xx response head.
// Returns the open descriptor, or -1 with `error` set.
int OpenOne(const addrinfo& to, const addrinfo* from, const std::string& request,
            std::string& error) {
  const int fd = ::socket(to.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval timeout{kAnswerTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const auto fail = [&](std::string what) {
    error = std::move(what);
    ::close(fd);
    return -1;
  };
  if (from != nullptr) {
    // The port is chosen at connect, per destination: bound ports are not shared otherwise.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd, from->ai_addr, from->ai_addrlen) != 0) {
      return fail(std::string("bind: ") + std::strerror(errno));
    }
  }
  if (::connect(fd, to.ai_addr, to.ai_addrlen) != 0) {
    return fail(std::string("connect: ") + std::strerror(errno));
  }
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return fail(std::string("send: ") + std::strerror(errno));
  }
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return fail("closed by the server before an answer");
    if (n < 0) return fail(std::string("recv: ") + std::strerror(errno));
    head.append(buffer, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK": the status is the second word.
  const size_t space = head.find(' ');
  if (space == std::string::npos || head.compare(space + 1, 1, "2") != 0) {
    return fail("answered " + head.substr(0, head.find("\r\n")));
  }
  return fd;
}

}  // namespace

bool IdleConnections::MakeRoomFor(uint64_t count) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  const rlim_t wanted = count + kSpareDescriptors;
  if (limit.rlim_cur >= wanted) return true;
  limit.rlim_cur = wanted;
  if (limit.rlim_max < wanted) limit.rlim_max = wanted;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

IdleConnections::~IdleConnections() {
  for (const int fd : fds_) ::close(fd);
}

uint64_t IdleConnections::Open(const std::string& host, const std::string& port,
                               const std::string& from, uint64_t count,
                               const std::string& request) {
  AddrInfo to;
  AddrInfo source;
  if (!Resolve(host, port, to, first_failure_) ||
      (!from.empty() && !Resolve(from, "", source, first_failure_))) {
    return 0;
  }
  const auto start = std::chrono::steady_clock::now();
  fds_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string error;
    const int fd = OpenOne(*to.list, source.list, request, error);
    if (fd >= 0) {
      fds_.push_back(fd);
    } else if (first_failure_.empty()) {
      first_failure_ = "connection " + std::to_string(i) + ": " + error;
    }
  }
  open_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fds_.size();
}

uint64_t IdleConnections::StillOpen() const {
  uint64_t open = 0;
  for (const int fd : fds_) {
    // The server sends nothing unasked: readable means it closed (EOF or reset).
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) == 0) ++open;
  }
  return open;
}

}  // namespace fsgate::bench
