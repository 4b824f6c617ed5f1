#include "gateway/s3_service.h"

#include <chrono>
#include <cstring>
#include <random>

#include "auth/credentials.h"
#include "base/hash.h"
#include "gateway/access_log.h"
#include "gateway/authenticate.h"
#include "gateway/authorize.h"
#include "gateway/cors_handlers.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_error.h"
#include "gateway/s3_router.h"
#include "http/url.h"
#include "metrics/metrics.h"
#include "store/object_store.h"

namespace fsgate::gateway {
namespace {

// Request ids: unique per process run, cheap, and not guessable from each other.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id(16, '0');
  uint64_t v = rng();
  for (auto& c : id) {
    c = kHex[v & 15];
    v >>= 4;
  }
  return id;
}

std::string NewHostId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string raw(24, '\0');
  for (size_t i = 0; i < raw.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(raw.data() + i, &v, 8);
  }
  return Base64Encode(raw);
}

}  // namespace

S3Service::S3Service(store::ObjectStore& store, const auth::CredentialStore& users,
                     metrics::Metrics& metrics, AccessLog& access_log, S3ServiceOptions options)
    : store_(store),
      users_(users),
      metrics_(metrics),
      access_log_(access_log),
      options_(std::move(options)) {}

void S3Service::Handle(http::HttpRequest& request, http::BodyReader& body,
                       http::ResponseWriter& response) {
  const auto start = std::chrono::steady_clock::now();
  metrics_.AddHttpInflight(1);
  PayloadReader payload(request, body, options_.max_object_size);
  S3Context ctx{.request = request,
                .payload = payload,
                .response = response,
                .store = store_,
                .bucket = {},
                .key = {},
                .request_id = NewRequestId(),
                .host_id = NewHostId(),
                .operation = S3Operation::kUnknown,
                .row = nullptr,
                .user = nullptr,
                .users = &users_,
                .region = options_.region,
                .secure_transport = options_.tls,
                .bucket_attributes = {},
                .cors_headers = {},
                .status = 0,
                .bytes_out = 0,
                .error_code = {}};
  // The stages of a request, in order. Each answers (an S3 error) and returns
  // false when the request goes no further.
  using Stage = bool (S3Service::*)(S3Context&);
  static constexpr Stage kPipeline[] = {&S3Service::Route,        &S3Service::Cors,
                                        &S3Service::Authenticate, &S3Service::Authorize,
                                        &S3Service::CheckPayload, &S3Service::CallHandler};
  for (Stage stage : kPipeline) {
    if (!(this->*stage)(ctx)) break;
  }
  Answer(ctx, start);
}

bool S3Service::Route(S3Context& ctx) {
  S3Target target = RouteRequest(ctx.request, options_.domain);
  ctx.bucket = std::move(target.bucket);
  ctx.key = std::move(target.key);
  ctx.operation = target.operation;
  ctx.row = target.row;
  if (http::HasValidEscapes(ctx.request.target)) return true;
  ctx.Error("InvalidURI");
  return false;
}

bool S3Service::Cors(S3Context& ctx) {
  ApplyCorsRules(ctx);
  return true;
}

bool S3Service::Authenticate(S3Context& ctx) {
  return gateway::Authenticate(ctx, users_, std::chrono::system_clock::now());
}

bool S3Service::Authorize(S3Context& ctx) { return gateway::Authorize(ctx); }

bool S3Service::CheckPayload(S3Context& ctx) {
  std::string message;
  if (ctx.operation == S3Operation::kCompleteMultipartUpload) {
    ctx.payload.ChecksumHeadersDescribeObject();
  }
  std::string code = ctx.payload.Validate(&message);
  if (code.empty()) return true;
  ctx.Error(code, message);
  return false;
}

bool S3Service::CallHandler(S3Context& ctx) {
  if (ctx.row == nullptr) {
    ctx.Error("MethodNotAllowed");
  } else if (ctx.row->handler == nullptr) {
    ctx.NotImplemented();
  } else {
    ctx.row->handler(ctx);
  }
  return true;
}

void S3Service::Answer(S3Context& ctx, std::chrono::steady_clock::time_point start) {
  if (!ctx.response.started()) ctx.Error("InternalError");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string_view api = S3OperationName(ctx.operation);
  metrics_.AddHttpInflight(-1);
  metrics_.HttpRequest(api, ctx.status, seconds);
  metrics_.HttpBytes(metrics::Direction::kIn, ctx.payload.bytes_read());
  metrics_.HttpBytes(metrics::Direction::kOut, ctx.bytes_out);
  access_log_.Write({ctx.request_id, ctx.request.remote_address,
                     ctx.user != nullptr ? std::string_view(ctx.user->access_key) : "", api,
                     ctx.bucket, ctx.key, ctx.status, ctx.error_code, ctx.payload.bytes_read(),
                     ctx.bytes_out, seconds});
}

void S3Service::ProtocolError(int status, std::string_view remote, http::ResponseWriter& response) {
  std::string_view code = status == 408   ? "RequestTimeout"
                          : status == 431 ? "RequestHeaderSectionTooLarge"
                          : status == 501 ? "NotImplemented"
                                          : "BadRequest";
  std::string request_id = NewRequestId();
  http::Headers headers = S3BaseHeaders(request_id, NewHostId());
  headers.emplace_back("Content-Type", "application/xml");
  std::string body = ErrorXml(code, DefaultErrorMessage(code), "/", request_id);
  int http_status = HttpStatusForError(code);
  response.Send(http_status, std::move(headers), body);
  const std::string_view api = S3OperationName(S3Operation::kUnknown);
  metrics_.HttpRequest(api, http_status, 0);
  metrics_.HttpBytes(metrics::Direction::kOut, body.size());
  access_log_.Write({request_id, remote, "", api, "", "", http_status, code, 0, body.size(), 0});
}

}  // namespace fsgate::gateway
