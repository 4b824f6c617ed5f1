// The HTTP exchange as S3 handlers see it, free of Beast/Asio types so that
// only the server's translation unit pays for those headers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/response_headers.h"

namespace fsgate::http {

// A request's header fields: names lower-cased, values as received.
using RequestHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // upper case
  std::string target;  // as received: percent-encoded path '?' raw query
  std::string path;    // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  RequestHeaders headers;
  std::optional<uint64_t> content_length;
  std::string remote_address;

  // First value of a header (name lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
  // First value of a query parameter, or nullptr.
  const std::string* Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return Query(name) != nullptr; }
};

// The request body, read on demand; the server sends "100 Continue" on the
// first Read() when the client asked for it.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to buf.size() bytes; 0 at the end of the body.
  virtual Result<size_t> Read(std::span<char> buf) = 0;
};

// The response. Either Send() a complete small response (one write, so that a
// small GET is one TCP segment), or Begin() + Write()... for a streamed body.
// A "Connection: close" header closes the connection after the answer, its
// unread input dropped.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void Send(int status, Headers headers, std::string_view body) = 0;
  virtual Status Begin(int status, Headers headers, uint64_t content_length) = 0;
  virtual Status Write(std::string_view data) = 0;
  virtual bool started() const = 0;
};

}  // namespace fsgate::http
