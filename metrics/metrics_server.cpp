// The operator's HTTP listener, on Boost.Beast: one thread, one io_context,
// asynchronous sessions with keep-alive (Prometheus reuses its connection) and
// a timeout on every read and write so that a stuck client costs nothing.
#include "metrics/metrics_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

#include "metrics/exposition.h"
#include "metrics/metrics.h"

namespace fsgate::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr size_t kHeaderLimit = 8 * 1024;
constexpr size_t kBodyLimit = 4 * 1024;  // every endpoint is a GET; a body is never needed

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response Answer(const Request& req, http::status status, std::string_view content_type,
                std::string body) {
  Response res(status, req.version());
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response Route(Metrics& metrics, const MetricsServerOptions& options, const Request& req) {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  constexpr std::string_view kText = "text/plain; charset=utf-8";
  const bool known =
      path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/admin/async";
  if (!known) return Answer(req, http::status::not_found, kText, "not found\n");
  if (req.method() != http::verb::get) {
    Response res = Answer(req, http::status::method_not_allowed, kText, "method not allowed\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  try {
    if (path == "/metrics")
      return Answer(req, http::status::ok, kExpositionContentType,
                    RenderExposition(metrics, options.version, options.commit));
    if (path == "/healthz") return Answer(req, http::status::ok, kText, "ok\n");
    if (path == "/readyz") {
      const bool ready = !options.ready || options.ready();
      return ready ? Answer(req, http::status::ok, kText, "ready\n")
                   : Answer(req, http::status::service_unavailable, kText, "not ready\n");
    }
    std::string json = options.admin_async_json ? options.admin_async_json() : "{}";
    return Answer(req, http::status::ok, "application/json", std::move(json));
  } catch (const std::exception& e) {
    return Answer(req, http::status::internal_server_error, kText, std::string(e.what()) + "\n");
  }
}

// One connection: read a request, answer it, repeat while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Metrics& metrics, const MetricsServerOptions& options)
      : stream_(std::move(socket)), metrics_(metrics), options_(options) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kIoTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return Close();  // end of stream, timeout, or a malformed request
    response_ = Route(metrics_, options_, parser_->get());
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec || !self->response_.keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  Metrics& metrics_;
  const MetricsServerOptions& options_;
};

}  // namespace

struct MetricsServer::Impl {
  Impl(Metrics& m, MetricsServerOptions o) : metrics(m), options(std::move(o)) {}

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), metrics, options)->Read();
      Accept();  // a failed accept (e.g. EMFILE) must not end the listener
    });
  }

  Metrics& metrics;
  const MetricsServerOptions options;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  uint16_t port = 0;
  std::thread thread;
};

MetricsServer::MetricsServer(Metrics& metrics, MetricsServerOptions options)
    : impl_(std::make_unique<Impl>(metrics, std::move(options))) {}

MetricsServer::~MetricsServer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void MetricsServer::Start() {
  Impl& s = *impl_;
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  try {
    tcp::resolver resolver(s.ioc);
    const auto results = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = *results.begin();
    s.acceptor.open(endpoint.protocol());
    s.acceptor.set_option(net::socket_base::reuse_address(true));
    s.acceptor.bind(endpoint);
    s.acceptor.listen(net::socket_base::max_listen_connections);
    s.port = s.acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("metrics listener: cannot listen on " + where + ": " +
                             e.code().message());
  }
  s.Accept();
  s.thread = std::thread([&s] { s.ioc.run(); });
}

uint16_t MetricsServer::port() const { return impl_->port; }

}  // namespace fsgate::metrics
