// fsgate_null_server: the benchmark's reference HTTP/1.1 server. It does no
// S3 work at all, so fsgate_load against it measures the machine (loopback
// TCP, the load tool, and with --durable one synced write per request), the
// floor fsgate's rows are compared with.
//
// It reads each request whole (header section, then Content-Length body bytes;
// nothing is checked or signed) and answers PUT with 200 and an ETag, GET with
// a --get-size body, DELETE with 204, anything else with 200 and no body.
// With --durable DIR each PUT and DELETE first does one pwrite of its body (a
// DELETE's: its target, as a journal would record it) to a file in DIR and one
// fdatasync: the least any durable server must do before it answers. The file
// is one per connection (DIR/connection-N, removed when it closes), overwritten
// at offset 0, so after a connection's first request the sync carries no
// metadata — a floor, not a model of a filesystem create. Not O_TMPFILE: its
// syncs were the slowest of the variants tried (1.4–2.5 ms against 0.6–2.2 ms
// for a named file, 400 syncs each, ext4 on virtio); a named file overwritten
// in place synced as fast as appends to a pre-zeroed log, fsgate's journal's
// pattern (p50 0.08 vs 0.10 ms, alternating in one loop).
//
// One thread per connection with blocking I/O: one recv and one send per small
// request, no event loop in between (at 1 connection that is the least CPU and
// latency a server can spend on loopback).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace {

struct Options {
  std::string listen = "127.0.0.1:9100";
  std::string durable_dir;  // empty: answer from memory
  size_t get_size = 4096;
};

constexpr size_t kReadChunk = 64 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// What the answer needs from one request's header section.
struct RequestHead {
  std::string_view method;
  std::string_view target;
  size_t content_length = 0;
  bool close = false;
};

RequestHead ParseHead(std::string_view head) {
  RequestHead r;
  const size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.find(' ', sp1 + 1);
  r.method = request_line.substr(0, sp1);
  if (sp1 != std::string_view::npos) r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (size_t at = line_end; at != std::string_view::npos && at + 2 < head.size();) {
    const size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, next - at - 2);
    at = next;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (IEquals(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), r.content_length);
    } else if (IEquals(name, "connection") && IEquals(value, "close")) {
      r.close = true;
    }
  }
  return r;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

class Connection {
 public:
  Connection(int fd, const Options& options, const std::string& get_response)
      : fd_(fd), options_(options), get_response_(get_response) {}
  ~Connection() {
    if (file_ >= 0) {
      ::close(file_);
      ::unlink(path_.c_str());
    }
    ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Serve() {
    if (!options_.durable_dir.empty()) {
      static std::atomic<uint64_t> serial{0};
      path_ = options_.durable_dir + "/connection-" + std::to_string(serial++);
      file_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
      if (file_ < 0) {
        std::cerr << "fsgate_null_server: " << path_ << ": " << std::strerror(errno) << "\n";
        return;
      }
    }
    // One buffer, never zero-filled: [begin, end) is read but not yet answered.
    size_t capacity = kReadChunk;
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    size_t begin = 0;
    size_t end = 0;
    size_t wanted = 0;  // bytes the request at `begin` needs in all, once its head is read
    for (;;) {
      // Answer every whole request already read (a client may pipeline).
      for (;;) {
        const std::string_view pending(data.get() + begin, end - begin);
        const size_t head_end = pending.find("\r\n\r\n");
        if (head_end == std::string_view::npos) break;
        const RequestHead head = ParseHead(pending.substr(0, head_end));
        wanted = head_end + 4 + head.content_length;
        if (pending.size() < wanted) break;
        if (!Answer(head, pending.substr(head_end + 4, head.content_length)) || head.close) return;
        begin += wanted;
        wanted = 0;
      }
      if (begin == end) begin = end = 0;
      if (end == capacity || begin + wanted > capacity) {  // make room: compact, then grow
        std::memmove(data.get(), data.get() + begin, end - begin);
        end -= begin;
        begin = 0;
        if (end == capacity || wanted > capacity) {
          const size_t grown = std::max(capacity * 2, wanted);
          auto bigger = std::make_unique_for_overwrite<char[]>(grown);
          std::memcpy(bigger.get(), data.get(), end);
          data = std::move(bigger);
          capacity = grown;
        }
      }
      const ssize_t n = ::recv(fd_, data.get() + end, capacity - end, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      end += static_cast<size_t>(n);
    }
  }

 private:
  bool Answer(const RequestHead& head, std::string_view body) {
    static constexpr std::string_view kPut =
        "HTTP/1.1 200 OK\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\nContent-Length: "
        "0\r\n\r\n";
    static constexpr std::string_view kDelete = "HTTP/1.1 204 No Content\r\n\r\n";
    static constexpr std::string_view kOther = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    if (head.method == "GET") return SendAll(fd_, get_response_);
    const bool put = head.method == "PUT";
    if (!put && head.method != "DELETE") return SendAll(fd_, kOther);
    if (file_ >= 0 && !Persist(put ? body : head.target)) return false;
    return SendAll(fd_, put ? kPut : kDelete);
  }

  bool Persist(std::string_view record) {
    if (::pwrite(file_, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(file_) != 0) {
      std::cerr << "fsgate_null_server: pwrite+fdatasync: " << std::strerror(errno) << "\n";
      return false;
    }
    return true;
  }

  int fd_;
  std::string path_;  // with --durable: this connection's file
  int file_ = -1;
  const Options& options_;
  const std::string& get_response_;
};

int Listen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  if (colon == std::string::npos ||
      ::inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("--listen wants IPv4 HOST:PORT, got " + listen);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    throw std::runtime_error("listen on " + listen + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"fsgate_null_server: a reference HTTP/1.1 server that does no S3 work"};
  app.add_option("--listen", options.listen, "IPv4 HOST:PORT")->capture_default_str();
  app.add_option("--durable", options.durable_dir,
                 "pwrite+fdatasync each PUT body / DELETE target to a file in DIR first")
      ->check(CLI::ExistingDirectory);
  app.add_option("--get-size", options.get_size, "bytes of every GET body")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::string get_response =
      "HTTP/1.1 200 OK\r\nETag: \"0123456789abcdef0123456789abcdef\""
      "\r\nContent-Length: " +
      std::to_string(options.get_size) + "\r\n\r\n" + std::string(options.get_size, 'x');
  int listener = -1;
  try {
    listener = Listen(options.listen);
  } catch (const std::exception& e) {
    std::cerr << "fsgate_null_server: " << e.what() << "\n";
    return 2;
  }
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::cerr << "fsgate_null_server: accept: " << std::strerror(errno) << "\n";
      return 1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread([fd, &options, &get_response] {
      Connection(fd, options, get_response).Serve();
    }).detach();
  }
}
