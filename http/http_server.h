// HttpServer: HTTP/1.1 (optionally TLS) on one listening address.
//
// A thread per request in flight: a request's handler blocks on the
// filesystem and on the intent journal's group commit, and it is exactly the
// many requests blocked at once that share one journal flush. A connection
// between requests holds no thread: it is parked on one shared reactor (see
// http_server.cpp). Connections are bounded (--max-connections, and per client
// address), fairly: a newcomer over a limit closes the longest-idle
// connection (http/connection_table.h). Idle and read timeouts cut stalled
// peers. Running out of descriptors, threads or memory refuses connections
// for a while (with backoff), never stops the server.
// Stop() drains: no new connections, idle ones closed, in-flight requests
// finished and answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/http_message.h"

namespace fsgate::http {

using HttpHandler = std::function<void(HttpRequest&, BodyReader&, ResponseWriter&)>;
// Answers a request that could not be parsed or framed, from `remote`; the
// connection closes after. `status` is the HTTP reason: 400 malformed (or both
// Content-Length and Transfer-Encoding), 408 header or body not read within
// the read timeout, 431 header section over the limit, 501 a Transfer-Encoding
// other than chunked.
using ProtocolErrorHandler =
    std::function<void(int status, std::string_view remote, ResponseWriter&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;  // 0 picks a free port
  size_t max_connections = 16384;
  size_t max_connections_per_client = 16384;  // per remote IP address
  size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds idle_timeout{60};  // waiting for the next request on a kept-alive connection
  // The whole header section once its first byte came, and each body read.
  std::chrono::seconds read_timeout{60};
  std::string tls_cert_file;  // both set: TLS
  std::string tls_key_file;
  ProtocolErrorHandler protocol_error;  // unset: a plain-text answer
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on a thread of its own. Throws
  // std::runtime_error with a one-line reason when it cannot bind or load TLS.
  void Start();
  uint16_t port() const;
  // Stops accepting, closes idle connections, waits for in-flight requests.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsgate::http
