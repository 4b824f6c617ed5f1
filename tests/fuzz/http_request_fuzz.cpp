// Raw bytes from a client, through everything the server runs before a
// handler: Beast's request parser (as the server configures it), the
// HttpRequest the handlers see, the target's escapes, the S3 router (path and
// virtual-hosted style), SigV4 authentication, and the payload reader that
// strips aws-chunked framing and checks digests. Pipelined requests are read
// one after another while the connection would stay open.
//
// Every input is served twice, its body read in large and in small pieces:
// how TCP splits a request must not change whether a body is accepted nor
// what it decodes to. (Which of two faults a bad body is refused for may: a
// decoded length overrun can show before the framing error behind it.)
#include <algorithm>
#include <array>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>

#include "auth/sigv4.h"
#include "fuzz_common.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_router.h"
#include "gateway/s3_service.h"
#include "http/http_request_head.h"
#include "http/url.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Parser = http::request_parser<http::buffer_body>;
using namespace fsgate;

constexpr size_t kMaxHeaderBytes = 16 * 1024;  // the server's default
constexpr size_t kMaxBody = 1 << 20;

// The body as the server hands it to a handler: Beast decodes the framing
// (Content-Length or chunked) into the caller's buffer, at most `max_read`
// bytes at a time.
class ParsedBody final : public fsgate::http::BodyReader {
 public:
  ParsedBody(Parser& parser, std::string_view& input, size_t max_read)
      : parser_(parser), input_(input), max_read_(max_read) {}

  Result<size_t> Read(std::span<char> buf) override {
    buf = buf.first(std::min(buf.size(), max_read_));
    if (parser_.is_done() || buf.empty()) return size_t{0};
    auto& body = parser_.get().body();
    body.data = buf.data();
    body.size = buf.size();
    for (;;) {
      beast::error_code ec;
      const size_t used = parser_.put(boost::asio::buffer(input_.data(), input_.size()), ec);
      input_.remove_prefix(used);
      if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};
      if (ec) return Status::Errno(EPROTO, "read body: " + ec.message());
      const size_t n = buf.size() - body.size;
      if (n > 0 || parser_.is_done()) return n;
      if (used == 0) {
        if (input_.empty()) parser_.put_eof(ec);
        if (!ec && parser_.is_done()) return size_t{0};
        return Status::Errno(EPIPE, "read body: truncated");
      }
    }
  }

 private:
  Parser& parser_;
  std::string_view& input_;
  const size_t max_read_;
};

// One request from the front of `input`, what it was taken for appended to
// `outcome` (the error code of a refused payload to `errors`); false when the
// connection would close.
bool ServeOne(std::string_view& input, size_t max_read, std::string& outcome, std::string& errors) {
  Parser parser;
  parser.header_limit(static_cast<uint32_t>(kMaxHeaderBytes));
  parser.body_limit(boost::none);
  beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
  input.remove_prefix(used);
  if (ec || !parser.is_header_done()) return false;  // the server answers 400/431 and closes

  fsgate::http::HttpRequest request = fsgate::http::RequestFromParser(parser);
  FUZZ_CHECK(request.target == parser.get().target());
  FUZZ_CHECK(!request.content_length || *request.content_length == *parser.content_length());
  for (const auto& [name, value] : request.headers) {
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  }

  // Path style, and virtual-hosted style with a domain.
  const gateway::S3Target path_style = gateway::RouteRequest(request, "");
  FUZZ_CHECK(path_style.bucket.find('/') == std::string::npos);
  FUZZ_CHECK((path_style.row == nullptr) ==
             (path_style.operation == gateway::S3Operation::kUnknown));
  const gateway::S3Target hosted = gateway::RouteRequest(request, "s3.example.com");
  FUZZ_CHECK((hosted.row == nullptr) == (hosted.operation == gateway::S3Operation::kUnknown));
  (void)fsgate::http::HasValidEscapes(request.target);
  FUZZ_CHECK(fsgate::http::PercentDecode(fsgate::http::UriEncode(request.path, true)) ==
             request.path);

  auth::RequestView view{.method = request.method, .target = request.target, .headers = {}};
  for (const auto& [name, value] : request.headers) view.headers.emplace_back(name, value);
  const auth::AuthResult auth =
      auth::Authenticate(view, fuzz::ExampleUsers(), fuzz::ExampleTime(), fuzz::kRegion);
  FUZZ_CHECK(auth.ok == auth.error_code.empty());
  FUZZ_CHECK(!auth.ok || auth.credentials != nullptr);

  outcome += std::string(gateway::S3OperationName(path_style.operation)) + " " +
             std::string(gateway::S3OperationName(hosted.operation)) + " " + auth.error_code + ":";
  ParsedBody body(parser, input, max_read);
  gateway::PayloadReader payload(request, body, auth, gateway::kMaxObjectSize);
  std::string message;
  if (std::string code = payload.Validate(&message); !code.empty()) {
    outcome += "invalid " + code + "\n";
  } else if (auto all = payload.ReadAll(kMaxBody); all.ok()) {
    FUZZ_CHECK(all->size() <= kMaxBody);
    outcome += "payload " + *all + "\n";
  } else {
    outcome += "refused\n";
    errors += all.status().reason() + "\n";
  }
  // The server drains what the handler left unread before the next request.
  std::array<char, 4096> scratch;
  while (!parser.is_done()) {
    auto n = body.Read(scratch);
    if (!n.ok() || *n == 0) return false;
  }
  return parser.get().keep_alive();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string outcomes[2];
  std::string errors[2];
  const size_t max_reads[2] = {64 * 1024, 1 + size % 13};
  for (int i = 0; i < 2; ++i) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    for (int requests = 0; requests < 8 && !input.empty(); ++requests) {
      if (!ServeOne(input, max_reads[i], outcomes[i], errors[i])) break;
    }
  }
  if (outcomes[0] != outcomes[1]) {
    std::fprintf(stderr, "read whole:\n%s%s\nread in pieces of %zu:\n%s%s\n", outcomes[0].c_str(),
                 errors[0].c_str(), max_reads[1], outcomes[1].c_str(), errors[1].c_str());
  }
  FUZZ_CHECK(outcomes[0] == outcomes[1]);
  return 0;
}
