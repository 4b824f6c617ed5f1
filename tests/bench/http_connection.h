// One keep-alive HTTP/1.1 client connection over a blocking TCP socket.
//
// The load generator gives each worker thread its own connection, so nothing
// here is shared or locked. Beast/Asio stay inside http_connection.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsgate::bench {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpConnection {
 public:
  // Resolves at once; connects lazily on the first Send().
  HttpConnection(std::string host, std::string port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends one request and reads the whole response. Sets TCP_NODELAY and
  // Content-Length; `headers` must already hold Host. A request that fails on a
  // reused connection the server had closed in between is retried once on a
  // fresh one. Throws std::runtime_error on any other transport failure (the
  // connection is then closed and reopened by the next call).
  HttpResponse Send(std::string_view method, std::string_view target, const HeaderList& headers,
                    std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fsgate::bench
