// The listener and the threads serving it; includes Beast and Asio (with
// http/connection.h, metrics/metrics_server.cpp and http/idle_reactor.cpp).
//
// Who holds a connection when (measured with 3,000 idle keep-alive
// connections; before, each held a thread and an io_context of its own:
// 3,015 threads, 12,015 descriptors):
// - the accept thread admits it (http/connection_table.h: limits, eviction)
//   and hands it to a worker;
// - a worker (http/worker_pool.h) serves its requests with blocking calls on
//   the socket (http/timed_socket.h), and keeps it for a short grace after an
//   answer, so a busy connection stays on its thread;
// - quiet longer, it is parked on the idle reactor (http/idle_reactor.h):
//   no thread, no descriptor but its socket, no read buffer.
#include "http/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "base/thread_priority.h"
#include "http/connection.h"
#include "http/connection_table.h"
#include "http/idle_reactor.h"
#include "http/worker_pool.h"

namespace fsgate::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<TimedSocket>;
using ConnectionPtr = std::shared_ptr<OpenConnection>;

// A worker thread with no request to serve for this long exits.
constexpr auto kWorkerIdleExit = std::chrono::seconds(2);

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
  std::optional<asio::ssl::context> tls;
  std::thread accept_thread;
  std::optional<ConnectionTable> table;
  std::optional<IdleReactor> reactor;
  WorkerPool workers{"fsg-http", kWorkerIdleExit};
  std::atomic<int> grace_waiters{0};  // workers waiting out the park grace
  uint64_t refused = 0;               // over a limit, since start; accept thread only
  // A connection could not get its resources: the accept loop backs off.
  std::atomic<bool> resource_shortage{false};
  std::atomic<bool> stopping{false};
  uint16_t port = 0;

  void AcceptLoop() {
    NameThread("fsg-accept");
    AcceptBackoff backoff;
    while (!stopping) {
      if (resource_shortage.exchange(false))
        backoff.Wait("a connection lacked descriptors, a thread or memory");
      sockaddr_storage peer{};
      socklen_t peer_len = sizeof(peer);
      int fd = ::accept4(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&peer), &peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (stopping) {
        if (fd >= 0) ::close(fd);
        break;
      }
      if (fd < 0) {
        if (errno == ECONNABORTED || errno == EINTR) continue;  // the client gave up first
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection waits in the backlog.
        backoff.Wait(std::string("accept: ") + std::strerror(errno));
        continue;
      }
      try {
        StartConnection(fd, peer, peer_len);
      } catch (const std::exception& e) {
        backoff.Wait(std::string("cannot start a connection: ") + e.what());
      }
    }
  }

  // Takes `fd` over. Throws when the connection's state or thread cannot be
  // had; the connection then closes.
  void StartConnection(int fd, const sockaddr_storage& peer, socklen_t peer_len) {
    auto endpoint = ClientAddress(peer, peer_len);
    std::string client = endpoint.address().to_string();
    std::string remote = client + ":" + std::to_string(endpoint.port());
    auto c = std::make_shared<OpenConnection>(fd, std::move(client), std::move(remote));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::vector<ConnectionPtr> evicted;
    if (const char* limit = table->Admit(c, evicted)) {
      // Every connection that could make room is busy: refused at once
      // rather than queued without bound.
      spdlog::debug(
          "connection from {} refused: over {} with every connection busy ({} refused "
          "since start)",
          c->client, limit, ++refused);
      return;
    }
    if (!evicted.empty()) {
      spdlog::debug("connection from {} admitted: {} idle connection(s) closed to make room",
                    c->client, evicted.size());
      reactor->Close(std::move(evicted));
    }
    Dispatch(std::move(c));
  }

  static tcp::endpoint ClientAddress(const sockaddr_storage& peer, socklen_t peer_len) {
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &peer, std::min<size_t>(peer_len, endpoint.capacity()));
    return endpoint;
  }

  // Hands `c` (busy in the table) to a worker.
  void Dispatch(ConnectionPtr c) {
    try {
      workers.Submit([this, c] { Serve(c); });
    } catch (const std::exception& e) {
      resource_shortage = true;
      spdlog::debug("connection from {} closed: no thread to serve it: {}", c->client, e.what());
      table->Remove(*c);
    }
  }

  // One turn on a worker: requests served until the connection goes quiet
  // (parked) or closes.
  void Serve(const ConnectionPtr& c) {
    TurnEnd end = TurnEnd::kClose;
    try {
      end = ServeTurn(*c);
    } catch (const std::exception& e) {
      // The TLS state or a buffer could not be had: this connection closes,
      // the server goes on.
      resource_shortage = true;
      spdlog::debug("connection from {} closed: {}", c->client, e.what());
    }
    if (end == TurnEnd::kPark) {
      reactor->Park(c);
    } else {
      table->Remove(*c);
    }
  }

  TurnEnd ServeTurn(OpenConnection& c) {
    if (!tls) {
      TimedSocket socket(c.fd, reactor->executor());
      Connection<TimedSocket> connection(socket, socket, c, options, handler, grace_waiters);
      return connection.Serve();
    }
    if (!c.tls) {
      auto stream = std::make_shared<TlsStream>(TimedSocket(c.fd, reactor->executor()), *tls);
      stream->next_layer().expires_after(options.read_timeout);
      beast::error_code ec;
      stream->handshake(asio::ssl::stream_base::server, ec);
      if (ec) {
        ::shutdown(c.fd, SHUT_RDWR);
        return TurnEnd::kClose;
      }
      c.tls = std::move(stream);
    }
    auto& stream = *static_cast<TlsStream*>(c.tls.get());
    Connection<TlsStream> connection(stream.next_layer(), stream, c, options, handler,
                                     grace_waiters);
    return connection.Serve();
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
    // OpenSSL frees a session's record buffers while it has nothing to read
    // or write: what keeps an idle TLS connection small.
    SSL_CTX_set_mode(impl_->tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
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
  impl_->table.emplace(o.max_connections, o.max_connections_per_client);
  impl_->reactor.emplace(*impl_->table, o.idle_timeout,
                         [impl = impl_.get()](ConnectionPtr c) { impl->Dispatch(std::move(c)); });
  impl_->reactor->Start();
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
  if (!impl_->table) return;  // never started
  // Parked connections close at once; a busy one finishes its request,
  // answers with "Connection: close", and ends.
  impl_->reactor->Close(impl_->table->CloseAll());
  impl_->table->WaitEmpty();
  impl_->reactor->Stop();
  impl_->workers.Stop();
}

}  // namespace fsgate::http
