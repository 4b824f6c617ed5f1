#include "gateway/s3_context.h"

#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/log_text.h"
#include "gateway/s3_error.h"
#include "gateway/s3_time.h"
#include "gateway/xml.h"

namespace fsgate::gateway {

http::Headers S3BaseHeaders(std::string_view request_id, std::string_view host_id) {
  http::Headers headers;
  // Room for a GET's object headers after these: one buffer, grown no more.
  headers.reserve(640);
  headers.emplace_back("x-amz-request-id", request_id);
  headers.emplace_back("x-amz-id-2", host_id);
  headers.emplace_back("Date", FormatHttpDate(NowNs()));
  headers.emplace_back("Server", "fsgate");
  return headers;
}

http::Headers S3Context::BaseHeaders() const {
  http::Headers headers = S3BaseHeaders(request_id, host_id);
  headers.Append(cors_headers);
  return headers;
}

std::string S3Context::Resource() const {
  if (bucket.empty()) return "/";
  return key.empty() ? "/" + bucket : "/" + bucket + "/" + key;
}

namespace {

// Errors saying the body read is not the one its header declared. Its bytes
// past the declared length (a client's framing bug, or a smuggling attempt)
// may still be on the connection, where they would be parsed as the start of
// the next request: the connection closes after the answer.
bool BodyNotAsDeclared(std::string_view code) {
  return code == "BadDigest" || code == "XAmzContentSHA256Mismatch" || code == "IncompleteBody";
}

}  // namespace

void S3Context::Error(std::string_view code, std::string_view message, const ErrorDetails& details,
                      http::Headers extra) {
  // Once a streamed body has begun, the status is out: the server can only
  // cut the connection short, which it does when the body falls short.
  if (response.started()) return;
  if (message.empty()) message = DefaultErrorMessage(code);
  error_code = code;
  status = HttpStatusForError(code);
  auto headers = BaseHeaders();
  headers.Append(extra);
  if (BodyNotAsDeclared(code)) headers.emplace_back("Connection", "close");
  if (status == 304 || request.method == "HEAD") {
    // No body: HEAD answers carry none, and a 304 never does.
    response.Send(status, std::move(headers), "");
    return;
  }
  std::string body = ErrorXml(code, message, Resource(), request_id, details);
  headers.emplace_back("Content-Type", "application/xml");
  bytes_out += body.size();
  response.Send(status, std::move(headers), body);
}

void S3Context::NotImplemented() {
  Error("NotImplemented",
        "This operation is not implemented by fsgate: " + std::string(S3OperationName(operation)));
}

void S3Context::Error(const Status& s) {
  if (s.err() != 0) {
    // The errno stays in the server's log; the client gets AWS's words.
    // Resource and message echo the client's bucket and key: escaped, so
    // that they cannot forge a log line.
    spdlog::error("request {} {} {}: {} (errno {})", request_id, S3OperationName(operation),
                  LogField(Resource()), LogText(s.message()), s.err());
  }
  const S3ErrorOfStatus error = S3ErrorFor(s);
  Error(error.code, error.message);
}

void S3Context::SendXml(int http_status, const XmlResponse& xml, http::Headers extra) {
  status = http_status;
  auto headers = BaseHeaders();
  headers.emplace_back("Content-Type", "application/xml");
  headers.Append(extra);
  std::string body = xml.str();
  bytes_out += body.size();
  response.Send(http_status, std::move(headers), body);
}

void S3Context::SendEmpty(int http_status, http::Headers extra) {
  status = http_status;
  auto headers = BaseHeaders();
  headers.Append(extra);
  response.Send(http_status, std::move(headers), "");
}

bool S3Context::SyncDiropsRequested() const {
  const std::string* h = request.Header("x-fsgate-dirops");
  return h != nullptr && *h == "sync";
}

}  // namespace fsgate::gateway
