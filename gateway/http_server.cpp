// The only translation unit (with metrics/metrics_server.cpp) that includes
// Beast and Asio.
//
// Each connection owns a thread and a private io_context: handlers stay plain
// blocking code, while every socket operation is an async Beast operation run
// to completion on that io_context, so a timer bounds every read and write —
// blocking socket calls would not honour one. A connection costs its socket and
// the io_context's reactor (epoll, eventfd, timerfd): four descriptors.
#include "gateway/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "base/thread_priority.h"
#include "gateway/http_request_head.h"

namespace fsgate::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Shared by the accept loop and Stop(): lets Stop() wake a connection that
// sits idle between requests.
struct ConnectionState {
  // Reset when the connection ends: an io_context holds descriptors of its own
  // (epoll, eventfd, timerfd), which must not wait for the next accept's reaping.
  std::optional<asio::io_context> ioc{std::in_place};
  std::string client;  // remote IP address: the per-client limit's key
  std::atomic<bool> idle{true};
  std::atomic<bool> closing{false};
  std::function<void()> close_socket;  // set and cleared under HttpServer::Impl::mu; runs on ioc
  std::thread thread;
  std::atomic<bool> finished{false};
};

// Runs one async operation at a time to completion on a connection's
// io_context, bounded by a timer. On expiry the socket's operations are
// cancelled, not the socket closed (as beast::tcp_stream does): the
// connection can still answer 400 RequestTimeout.
class TimedRunner {
 public:
  TimedRunner(asio::io_context& ioc, tcp::socket& socket)
      : ioc_(ioc), socket_(socket), timer_(ioc) {}

  // `start(done)` starts the operation; `done(ec, bytes)` is its completion.
  template <class Start>
  beast::error_code Run(std::chrono::steady_clock::duration timeout, Start&& start) {
    beast::error_code result;
    bool completed = false;
    bool expired = false;
    timer_.expires_after(timeout);
    timer_.async_wait([&](beast::error_code ec) {
      if (ec || completed) return;
      expired = true;
      beast::error_code ignored;
      socket_.cancel(ignored);
    });
    start([&](beast::error_code ec, std::size_t) {
      result = ec;
      completed = true;
      timer_.cancel();
    });
    ioc_.restart();
    ioc_.run();
    // An operation that completed as the timer fired keeps its own result.
    if (expired && result) return beast::error::timeout;
    return result;
  }

 private:
  asio::io_context& ioc_;
  tcp::socket& socket_;
  asio::steady_timer timer_;
};

std::string ReasonLine(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

constexpr size_t kReadBufferBytes = 64 * 1024;

// An unread request body up to this size is drained to keep the connection.
constexpr uint64_t kMaxDrainBytes = 1 << 20;

// How long a connection closed with the request's body unread keeps reading
// and dropping what the client still sends.
constexpr auto kLingerTime = std::chrono::seconds(1);

bool StatusHasNoBody(int status) { return status == 204 || status == 304 || status < 200; }

// The peer went away or Stop() woke the connection: nobody to answer.
bool IsStreamEnd(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::operation_aborted;
}

// The HTTP status refusing a header section that could not be read.
int StatusForHeaderError(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return 408;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

// 0 when the request's body framing is one this server reads, otherwise the
// HTTP status refusing it (RFC 9112 §6.1, §6.3). Beast reads a request whose
// Transfer-Encoding does not end in chunked as one without a body, which
// would store an empty object and parse the body as the next request.
template <class Parser>
int FramingError(const Parser& parser) {
  const auto& msg = parser.get();
  auto [first, last] = msg.equal_range(http::field::transfer_encoding);
  if (first == last) return 0;
  if (msg.count(http::field::content_length) != 0) return 400;
  size_t codings = 0;
  bool chunked = false;
  for (auto field = first; field != last; ++field) {
    for (auto coding : http::token_list(field->value())) {
      ++codings;
      chunked = beast::iequals(coding, "chunked");
    }
  }
  return codings == 1 && chunked && parser.chunked() ? 0 : 501;
}

template <class Stream>
class Connection final : public BodyReader, public ResponseWriter {
 public:
  Connection(ConnectionState& state, Stream& stream, TimedRunner& runner,
             const HttpServerOptions& options, const HttpHandler& handler, std::string remote)
      : state_(state),
        stream_(stream),
        runner_(runner),
        options_(options),
        handler_(handler),
        remote_(std::move(remote)) {
    // Beast sizes each socket read by the buffer's free capacity (at least
    // 512 bytes): room for a small PUT's header and body in one read instead
    // of a read, a poll and a timer update per 512 bytes.
    buffer_.reserve(kReadBufferBytes);
  }

  void Serve() {
    while (!state_.closing) {
      parser_.emplace();
      parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
      parser_->body_limit(boost::none);
      expect_continue_ = false;
      state_.idle = true;
      if (state_.closing) break;
      // Between requests the idle timeout applies. A connection that ends
      // here, before a byte of a request, carried no request: it is neither
      // answered nor logged (TLS clients mostly go without close_notify).
      if (buffer_.size() == 0 && WaitForRequest()) break;
      state_.idle = false;
      // Once a request began, its whole header section must arrive within
      // the read timeout: a client dribbling bytes cannot hold the connection.
      auto ec = ParseBuffered();
      if (ec == http::error::need_more) {
        ec = Run(options_.read_timeout,
                 [&](auto done) { http::async_read_header(stream_, buffer_, *parser_, done); });
      }
      if (ec) {
        if (!IsStreamEnd(ec)) RefuseRequest(StatusForHeaderError(ec));
        break;
      }
      if (int status = FramingError(*parser_)) {
        RefuseRequest(status);
        break;
      }
      HandleOne();
      if (!keep_alive_ || broken_) break;
    }
    Shutdown();
  }

  // BodyReader.
  Result<size_t> Read(std::span<char> buf) override {
    if (parser_->is_done() || buf.empty()) return size_t{0};
    if (expect_continue_) {
      expect_continue_ = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      if (auto ec = WriteAll(asio::buffer(kContinue.data(), kContinue.size())); ec) {
        return Broken("write 100-continue", ec);
      }
    }
    auto& body = parser_->get().body();
    body.data = buf.data();
    body.size = buf.size();
    // Body bytes already read (with the header) are parsed at once: only a
    // read that needs the socket arms a timer and runs the io_context.
    beast::error_code ec;
    if (buffer_.size() > 0) buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == http::error::need_more) ec = {};
    if (!ec && body.size == buf.size() && !parser_->is_done()) {
      ec = Run(options_.read_timeout,
               [&](auto done) { http::async_read(stream_, buffer_, *parser_, done); });
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return Broken("read body", ec);
    size_t n = buf.size() - body.size;
    if (n == 0 && !parser_->is_done()) return Broken("read body", asio::error::eof);
    return n;
  }

  // ResponseWriter.
  void Send(int status, Headers headers, std::string_view body) override {
    std::string head = Head(status, headers, StatusHasNoBody(status) ? -1 : int64_t(body.size()));
    started_ = true;
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head),
                                           asio::buffer(body.data(), body.size())};
    if (WriteAll(bufs)) broken_ = true;
  }

  Status Begin(int status, Headers headers, uint64_t content_length) override {
    std::string head = Head(status, headers, static_cast<int64_t>(content_length));
    started_ = true;
    if (auto ec = WriteAll(asio::buffer(head)); ec) return Broken("write head", ec).status();
    return Status::Ok();
  }

  Status Write(std::string_view data) override {
    if (auto ec = WriteAll(asio::buffer(data.data(), data.size())); ec) {
      return Broken("write body", ec).status();
    }
    return Status::Ok();
  }

  bool started() const override { return started_; }

 private:
  template <class Start>
  beast::error_code Run(std::chrono::steady_clock::duration timeout, Start&& start) {
    return runner_.Run(timeout, std::forward<Start>(start));
  }

  // Waits up to the idle timeout for the first bytes of a request; true when
  // the connection ended (or timed out) instead.
  bool WaitForRequest() {
    auto ec = Run(options_.idle_timeout, [&](auto done) {
      stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, kReadBufferBytes)),
                              [this, done](beast::error_code e, std::size_t n) mutable {
                                buffer_.commit(n);
                                done(e, n);
                              });
    });
    return ec || buffer_.size() == 0;
  }

  // Parses the header section from what is already read: most requests' fit
  // in the first read, and need no further trip through the io_context.
  beast::error_code ParseBuffered() {
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (!ec && !parser_->is_header_done()) ec = http::error::need_more;
    return ec;
  }

  template <class Buffers>
  beast::error_code WriteAll(const Buffers& buffers) {
    size_t written = 0;
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      // Most answers fit in the socket's send buffer: hand them over at once
      // (the socket is non-blocking) and leave only what it does not take to a
      // timed async write. Saves a timer update and two reactor polls per answer.
      if (stream_.non_blocking()) {
        beast::error_code ec;
        written = stream_.write_some(buffers, ec);
        if (ec == asio::error::would_block) {
          written = 0;
        } else if (ec) {
          return ec;
        } else if (written == asio::buffer_size(buffers)) {
          return {};
        }
      }
    }
    beast::buffers_suffix<Buffers> rest(buffers);
    rest.consume(written);
    return Run(options_.read_timeout, [&](auto done) { asio::async_write(stream_, rest, done); });
  }

  Result<size_t> Broken(const char* what, beast::error_code ec) {
    broken_ = true;
    keep_alive_ = false;  // an error answer still goes out, saying the connection closes
    // ETIMEDOUT tells a stalled peer from one that went away.
    int err = ec == beast::error::timeout ? ETIMEDOUT : EPIPE;
    return Status::Errno(err, std::string(what) + ": " + ec.message());
  }

  std::string Head(int status, const Headers& headers, int64_t content_length) {
    std::string head;
    if (expect_continue_ && parser_->is_done()) {
      // An empty body the client still waits to be asked for: answer the
      // expectation first. botocore keeps the status line of an unexpected
      // early answer and misreads the connection's next response after it.
      expect_continue_ = false;
      head = "HTTP/1.1 100 Continue\r\n\r\n";
    }
    head += ReasonLine(status);
    if (!parser_->is_done()) {
      // Answered before the body was read (an error): the connection is kept
      // only if the rest of the body can be drained cheaply afterwards.
      auto remaining = parser_->content_length_remaining();
      if (expect_continue_ || !remaining || *remaining > kMaxDrainBytes) keep_alive_ = false;
      linger_ = !keep_alive_;
    }
    for (const auto& [name, value] : headers) {
      // Handlers refuse such values on input; a CR or LF that still got here
      // must not split the response.
      if (!IsValidHeaderValue(value)) {
        spdlog::error("response header {} dropped: its value holds a control character", name);
        continue;
      }
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    if (content_length >= 0) head += "Content-Length: " + std::to_string(content_length) + "\r\n";
    if (!keep_alive_ || state_.closing) head += "Connection: close\r\n";
    head += "\r\n";
    return head;
  }

  void HandleOne() {
    auto& msg = parser_->get();
    HttpRequest request = RequestFromParser(*parser_);
    request.remote_address = remote_;
    keep_alive_ = msg.keep_alive();
    auto expect = msg[http::field::expect];
    expect_continue_ = beast::iequals(expect, "100-continue");
    started_ = false;

    handler_(request, *this, *this);
    if (!started_ && !broken_) Send(500, {}, "");
    if (broken_) return;
    // The handler may answer without reading the body (an error). A small
    // unread body is drained to keep the connection; a large one closes it.
    if (!parser_->is_done() && keep_alive_ && !DrainBody()) broken_ = true;
  }

  bool DrainBody() {
    std::array<char, 16384> scratch;
    while (!parser_->is_done()) {
      auto n = Read(scratch);
      if (!n.ok() || *n == 0) return false;
    }
    return true;
  }

  // Answers a request that is not served (see ProtocolErrorHandler); the
  // connection closes after it.
  void RefuseRequest(int status) {
    keep_alive_ = false;
    linger_ = true;
    if (options_.protocol_error) {
      options_.protocol_error(status, remote_, *this);
      if (!started_ && !broken_) Send(status, {}, "");
      return;
    }
    Send(status, {{"Content-Type", "text/plain"}}, "bad request\n");
  }

  void Shutdown() {
    beast::error_code ec;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      Run(std::chrono::seconds(2), [&](auto done) {
        stream_.async_shutdown([done](beast::error_code e) mutable { done(e, 0); });
      });
    } else if (linger_) {
      Linger();
    }
    beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close(ec);
  }

  // Closing a socket with unread input resets the connection, and the reset
  // can destroy the answer before the client reads it. So the sending side
  // closes first, and what the client still sends is read and dropped for a
  // short while (the lingering close of other HTTP servers).
  void Linger() {
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    std::array<char, 16384> scratch;
    while (!ec && std::chrono::steady_clock::now() < deadline) {
      ec = Run(deadline - std::chrono::steady_clock::now(),
               [&](auto done) { stream_.async_read_some(asio::buffer(scratch), done); });
    }
  }

  ConnectionState& state_;
  Stream& stream_;
  TimedRunner& runner_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool started_ = false;
  bool broken_ = false;
  bool linger_ = false;  // closing with the request's body unread
};

// After a failed accept, or a connection that could not get its descriptors,
// thread or memory, accepting pauses 5 ms, doubling up to 1 s while failures
// go on (as Go's net/http does): the server neither stops nor spins. A
// failure more than a second after the last pause starts again at 5 ms.
class AcceptBackoff {
 public:
  void Wait(std::string_view why) {
    auto now = std::chrono::steady_clock::now();
    delay_ = now - last_pause_end_ > kMax ? kFirst : std::min(delay_ * 2, kMax);
    if (delay_ == kFirst) spdlog::warn("{}: accepting again in {} ms", why, delay_.count());
    std::this_thread::sleep_for(delay_);
    last_pause_end_ = std::chrono::steady_clock::now();
  }

 private:
  static constexpr std::chrono::milliseconds kFirst{5};
  static constexpr std::chrono::milliseconds kMax{1000};
  std::chrono::milliseconds delay_{0};
  std::chrono::steady_clock::time_point last_pause_end_{};
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context accept_ioc;
  tcp::acceptor acceptor{accept_ioc};
  tcp protocol = tcp::v4();
  std::optional<asio::ssl::context> tls;
  std::thread accept_thread;
  std::mutex mu;
  std::list<std::shared_ptr<ConnectionState>> connections;
  std::unordered_map<std::string, size_t> per_client;  // open connections by client address
  uint64_t refused = 0;                                // over a limit, since start
  // A connection thread could not get its resources: the accept loop backs off.
  std::atomic<bool> resource_shortage{false};
  std::atomic<bool> stopping{false};
  uint16_t port = 0;

  void AcceptLoop() {
    NameThread("fsg-accept");
    AcceptBackoff backoff;
    while (!stopping) {
      if (resource_shortage.exchange(false))
        backoff.Wait("a connection lacked descriptors, a thread or memory");
      tcp::socket socket(accept_ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping) break;
      if (ec == asio::error::connection_aborted) continue;  // the client gave up first
      if (ec) {
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection waits in the backlog.
        backoff.Wait("accept: " + ec.message());
        continue;
      }
      ReapFinished();
      try {
        StartConnection(std::move(socket));
      } catch (const std::exception& e) {
        backoff.Wait(std::string("cannot start a connection: ") + e.what());
      }
    }
  }

  // Throws when the connection's state or thread cannot be had; the socket
  // then closes.
  void StartConnection(tcp::socket socket) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    std::string client = endpoint.address().to_string();
    std::string remote = client + ":" + std::to_string(endpoint.port());
    socket.set_option(tcp::no_delay(true), ec);

    std::lock_guard lock(mu);
    auto open = per_client.find(client);
    const char* limit = nullptr;
    if (connections.size() >= options.max_connections) {
      limit = "--max-connections";
    } else if (open != per_client.end() && open->second >= options.max_connections_per_client) {
      limit = "--max-connections-per-client";
    }
    if (limit) {
      // Refused at once rather than queued without bound.
      spdlog::debug("connection from {} refused: over {} ({} refused since start)", remote, limit,
                    ++refused);
      return;
    }
    auto state = std::make_shared<ConnectionState>();
    state->client = client;
    int fd = socket.release(ec);
    if (ec) return;
    try {
      state->thread = std::thread(
          [this, state, fd, remote = std::move(remote)] { ServeConnection(*state, fd, remote); });
    } catch (...) {
      ::close(fd);
      throw;
    }
    ++per_client[client];
    connections.push_back(std::move(state));
  }

  void ServeConnection(ConnectionState& state, int fd, const std::string& remote) {
    NameThread("fsg-http");
    try {
      ServeSocket(state, fd, remote);
    } catch (const std::exception& e) {
      // The reactor's descriptors or the TLS state could not be had: this
      // connection closes, the server goes on.
      resource_shortage = true;
      spdlog::debug("connection from {} closed: {}", remote, e.what());
    }
    if (fd >= 0) ::close(fd);
    std::lock_guard lock(mu);
    if (auto it = per_client.find(state.client); it != per_client.end() && --it->second == 0) {
      per_client.erase(it);
    }
    state.close_socket = nullptr;
    state.ioc.reset();  // every socket and timer on it is gone with ServeSocket's frame
    state.finished = true;
  }

  // Takes `fd` over (sets it to -1) once a socket owns it.
  void ServeSocket(ConnectionState& state, int& fd, const std::string& remote) {
    beast::error_code ec;
    tcp::socket socket(*state.ioc);
    socket.assign(protocol, fd, ec);
    if (ec) return;
    fd = -1;
    if (tls) {
      beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
      TimedRunner runner(*state.ioc, beast::get_lowest_layer(stream));
      SetCloser(state, [&stream] {
        beast::error_code ignored;
        beast::get_lowest_layer(stream).shutdown(tcp::socket::shutdown_both, ignored);
      });
      auto handshake = runner.Run(options.read_timeout, [&](auto done) {
        stream.async_handshake(asio::ssl::stream_base::server,
                               [done](beast::error_code e) mutable { done(e, 0); });
      });
      if (!handshake) {
        Connection<beast::ssl_stream<tcp::socket>> connection(state, stream, runner, options,
                                                              handler, remote);
        connection.Serve();
      }
    } else {
      socket.non_blocking(true, ec);  // for Connection::WriteAll's direct writes
      TimedRunner runner(*state.ioc, socket);
      SetCloser(state, [&socket] {
        beast::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
      });
      Connection<tcp::socket> connection(state, socket, runner, options, handler, remote);
      connection.Serve();
    }
  }

  void SetCloser(ConnectionState& state, std::function<void()> closer) {
    std::lock_guard lock(mu);
    state.close_socket = std::move(closer);
  }

  void ReapFinished() {
    std::list<std::shared_ptr<ConnectionState>> done;
    {
      std::lock_guard lock(mu);
      for (auto it = connections.begin(); it != connections.end();) {
        if ((*it)->finished) {
          done.push_back(*it);
          it = connections.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& state : done) state->thread.join();
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  auto& o = impl_->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      throw std::runtime_error("--tls-cert and --tls-key must be given together");
    }
    impl_->tls.emplace(asio::ssl::context::tls_server);
    beast::error_code ec;
    impl_->tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (!ec) impl_->tls->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load TLS certificate/key: " + ec.message());
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + o.host + "'");
  tcp::endpoint endpoint(address, o.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                             ec.message());
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->protocol = endpoint.protocol();
  impl_->accept_thread = std::thread([this] { impl_->AcceptLoop(); });
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->accept_thread.joinable()) {
    // shutdown() wakes the blocked accept(); close() alone would not.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    impl_->accept_thread.join();
    beast::error_code ec;
    impl_->acceptor.close(ec);
  }
  {
    std::lock_guard lock(impl_->mu);
    for (auto& state : impl_->connections) {
      state->closing = true;
      // An idle connection is woken and closed; a busy one finishes its
      // request, answers with "Connection: close", and ends.
      // Runs on the connection's own thread, so `idle` cannot change under it.
      if (state->close_socket) {
        asio::post(*state->ioc, [s = state.get(), closer = state->close_socket] {
          if (s->idle) closer();
        });
      }
    }
  }
  for (;;) {
    std::shared_ptr<ConnectionState> state;
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->connections.empty()) break;
      state = impl_->connections.front();
      impl_->connections.pop_front();
    }
    state->thread.join();
  }
}

}  // namespace fsgate::gateway
