// The only translation unit (with metrics/metrics_server.cpp) that includes
// Beast and Asio.
//
// Each connection owns a thread and a private io_context: handlers stay plain
// blocking code, while every socket operation is an async Beast operation run
// to completion on that io_context, so Beast's timers (tcp_stream::expires_after)
// bound every read and write — blocking socket calls would not honour them.
#include "gateway/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

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

#include "fsclient/thread_priority.h"
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
  std::atomic<bool> idle{true};
  std::atomic<bool> closing{false};
  std::function<void()> close_socket;  // set and cleared under HttpServer::Impl::mu; runs on ioc
  std::thread thread;
  std::atomic<bool> finished{false};
};

std::string ReasonLine(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

constexpr size_t kReadBufferBytes = 64 * 1024;

// An unread request body up to this size is drained to keep the connection.
constexpr uint64_t kMaxDrainBytes = 1 << 20;

bool StatusHasNoBody(int status) { return status == 204 || status == 304 || status < 200; }

template <class Stream>
class Connection final : public BodyReader, public ResponseWriter {
 public:
  Connection(ConnectionState& state, Stream& stream, const HttpServerOptions& options,
             const HttpHandler& handler, std::string remote)
      : state_(state),
        stream_(stream),
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
      state_.idle = true;
      if (state_.closing) break;
      auto ec = Run(options_.idle_timeout,
                    [&](auto done) { http::async_read_header(stream_, buffer_, *parser_, done); });
      state_.idle = false;
      if (ec) {
        if (ec != http::error::end_of_stream && ec != asio::error::operation_aborted &&
            ec != beast::error::timeout && ec != asio::error::eof &&
            ec != asio::error::connection_reset) {
          SendBadRequest(ec);
        }
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
    auto ec = Run(options_.read_timeout,
                  [&](auto done) { http::async_read(stream_, buffer_, *parser_, done); });
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
  // Runs one async operation to completion on this connection's io_context,
  // bounded by `timeout`.
  template <class Start>
  beast::error_code Run(std::chrono::seconds timeout, Start&& start) {
    beast::error_code result;
    beast::get_lowest_layer(stream_).expires_after(timeout);
    start([&](beast::error_code ec, std::size_t) { result = ec; });
    state_.ioc->restart();
    state_.ioc->run();
    beast::get_lowest_layer(stream_).expires_never();
    return result;
  }

  template <class Buffers>
  beast::error_code WriteAll(const Buffers& buffers) {
    size_t written = 0;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      // Most answers fit in the socket's send buffer: hand them over at once
      // (the socket is non-blocking) and leave only what it does not take to a
      // timed async write. Saves a timer update and two reactor polls per answer.
      if (stream_.socket().non_blocking()) {
        beast::error_code ec;
        written = stream_.socket().write_some(buffers, ec);
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
    }
    for (const auto& [name, value] : headers) {
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

  void SendBadRequest(beast::error_code ec) {
    keep_alive_ = false;
    int status = ec == http::error::header_limit ? 431 : 400;
    if (options_.protocol_error) {
      options_.protocol_error(status, remote_, *this);
      if (!started_ && !broken_) Send(status, {}, "");
      return;
    }
    Send(status, {{"Content-Type", "text/plain"}}, "bad request\n");
  }

  void Shutdown() {
    beast::error_code ec;
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      Run(std::chrono::seconds(2), [&](auto done) {
        stream_.async_shutdown([done](beast::error_code e) mutable { done(e, 0); });
      });
    }
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  ConnectionState& state_;
  Stream& stream_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool started_ = false;
  bool broken_ = false;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context accept_ioc;
  tcp::acceptor acceptor{accept_ioc};
  std::optional<asio::ssl::context> tls;
  std::thread accept_thread;
  std::mutex mu;
  std::list<std::shared_ptr<ConnectionState>> connections;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;

  void AcceptLoop() {
    fsclient::NameThread("fsg-accept");
    while (!stopping) {
      tcp::socket socket(accept_ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping) break;
      if (ec) {
        if (ec == asio::error::no_descriptors)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      ReapFinished();
      std::lock_guard lock(mu);
      if (connections.size() >= options.max_connections) {
        socket.close(ec);  // over the limit: refuse rather than queue without bound
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto state = std::make_shared<ConnectionState>();
      connections.push_back(state);
      int fd = socket.release(ec);
      state->thread = std::thread([this, state, fd] { ServeConnection(*state, fd); });
    }
  }

  void ServeConnection(ConnectionState& state, int fd) {
    fsclient::NameThread("fsg-http");
    ServeSocket(state, fd);
    std::lock_guard lock(mu);
    state.close_socket = nullptr;
    state.ioc.reset();  // every socket and timer on it is gone with ServeSocket's frame
    state.finished = true;
  }

  void ServeSocket(ConnectionState& state, int fd) {
    beast::error_code ec;
    tcp::socket socket(*state.ioc);
    socket.assign(acceptor.local_endpoint().protocol(), fd, ec);
    std::string remote;
    if (auto endpoint = socket.remote_endpoint(ec); !ec) {
      remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    }
    if (!ec) {
      if (tls) {
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
        SetCloser(state, [&stream] {
          beast::error_code ignored;
          beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
        beast::get_lowest_layer(stream).expires_after(options.read_timeout);
        bool handshake_ok = false;
        stream.async_handshake(asio::ssl::stream_base::server,
                               [&](beast::error_code e) { handshake_ok = !e; });
        state.ioc->run();
        if (handshake_ok) {
          Connection<beast::ssl_stream<beast::tcp_stream>> connection(state, stream, options,
                                                                      handler, remote);
          connection.Serve();
        }
      } else {
        beast::error_code nb;
        socket.non_blocking(true, nb);  // for Connection::WriteAll's direct writes
        beast::tcp_stream stream(std::move(socket));
        SetCloser(state, [&stream] {
          beast::error_code ignored;
          stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
        Connection<beast::tcp_stream> connection(state, stream, options, handler, remote);
        connection.Serve();
      }
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
