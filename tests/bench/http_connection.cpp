#include "tests/bench/http_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace fsgate::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kReadBufferBytes = 64 * 1024;

struct HttpConnection::Impl {
  std::string host;
  std::string port;
  asio::io_context io;
  tcp::resolver::results_type endpoints;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  bool open = false;
  uint64_t requests_on_socket = 0;

  void Connect() {
    Close();
    asio::connect(socket, endpoints);
    socket.set_option(tcp::no_delay(true));
    open = true;
    requests_on_socket = 0;
    // Beast sizes a socket read by the buffer's free capacity (512 bytes at
    // least): without room, a 4 KiB GET response took 9 reads.
    buffer.reserve(kReadBufferBytes);
  }

  void Close() {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    buffer.clear();
    open = false;
  }

  // One exchange on the current socket; false when it failed before any
  // response byte arrived on a reused socket (the server closed it idle).
  bool TryExchange(http::request<http::span_body<const char>>& request, HttpResponse& out) {
    beast::error_code ec;
    http::write(socket, request, ec);
    const bool reused = requests_on_socket > 0;
    if (ec) {
      Close();
      if (reused) return false;
      throw std::runtime_error("write to " + host + ":" + port + ": " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    http::read(socket, buffer, parser, ec);
    if (ec) {
      const bool nothing_read = !parser.got_some();
      Close();
      if (reused && nothing_read) return false;
      throw std::runtime_error("read from " + host + ":" + port + ": " + ec.message());
    }
    ++requests_on_socket;
    auto& response = parser.get();
    out.status = static_cast<int>(response.result_int());
    out.body = std::move(response.body());
    if (!response.keep_alive()) Close();
    return true;
  }
};

HttpConnection::HttpConnection(std::string host, std::string port)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::move(port);
  tcp::resolver resolver(impl_->io);
  impl_->endpoints = resolver.resolve(impl_->host, impl_->port);
}

HttpConnection::~HttpConnection() { impl_->Close(); }

HttpResponse HttpConnection::Send(std::string_view method, std::string_view target,
                                  const HeaderList& headers, std::string_view body) {
  http::request<http::span_body<const char>> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.body() = http::span_body<const char>::value_type(body.data(), body.size());
  request.prepare_payload();
  request.keep_alive(true);

  HttpResponse response;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!impl_->open) impl_->Connect();
    } catch (const boost::system::system_error& e) {
      impl_->Close();
      throw std::runtime_error("connect to " + impl_->host + ":" + impl_->port + ": " +
                               e.code().message());
    }
    if (impl_->TryExchange(request, response)) return response;
  }
  throw std::runtime_error("connection to " + impl_->host + ":" + impl_->port +
                           " closed twice in a row");
}

}  // namespace fsgate::bench
