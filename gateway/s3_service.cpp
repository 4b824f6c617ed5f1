#include "gateway/s3_service.h"

#include <chrono>
#include <cstring>
#include <random>
#include <unordered_map>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "base/hash.h"
#include "fsclient/object_store.h"
#include "gateway/access_log.h"
#include "gateway/authorize.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_error.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_router.h"
#include "gateway/url.h"
#include "metrics/metrics.h"

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

S3Handler FindHandler(std::string_view api) {
  static const std::unordered_map<std::string_view, S3Handler> kHandlers = {
      {"ListBuckets", ListBuckets},
      {"CreateBucket", CreateBucket},
      {"DeleteBucket", DeleteBucket},
      {"HeadBucket", HeadBucket},
      {"GetBucketLocation", GetBucketLocation},
      {"GetBucketVersioning", GetBucketVersioning},
      {"GetBucketAcl", GetBucketAcl},
      {"GetBucketPolicy", BucketConfigurationAbsent},
      {"GetBucketPolicyStatus", BucketConfigurationAbsent},
      {"GetPublicAccessBlock", BucketConfigurationAbsent},
      {"GetBucketCors", BucketConfigurationAbsent},
      {"GetBucketLifecycleConfiguration", BucketConfigurationAbsent},
      {"GetBucketTagging", BucketConfigurationAbsent},
      {"GetBucketEncryption", BucketConfigurationAbsent},
      {"GetObjectLockConfiguration", BucketConfigurationAbsent},
      {"GetBucketOwnershipControls", BucketConfigurationAbsent},
      {"GetBucketWebsite", BucketConfigurationAbsent},
      {"GetBucketLogging", BucketConfigurationAbsent},
      {"GetBucketNotificationConfiguration", BucketConfigurationAbsent},
      {"GetBucketReplication", BucketConfigurationAbsent},
      {"GetBucketRequestPayment", BucketConfigurationAbsent},
      {"GetBucketAccelerateConfiguration", BucketConfigurationAbsent},
      {"ListObjects", ListObjects},
      {"ListObjectsV2", ListObjectsV2},
      {"ListObjectVersions", ListObjectVersions},
      {"ListMultipartUploads", ListMultipartUploads},
      {"DeleteObjects", DeleteObjects},
      {"PutObject", PutObject},
      {"GetObject", GetObject},
      {"HeadObject", HeadObject},
      {"DeleteObject", DeleteObject},
      {"GetObjectAcl", GetObjectAcl},
      {"GetObjectTagging", GetObjectTagging},
      {"CopyObject", CopyObject},
      {"UploadPartCopy", UploadPartCopy},
      {"CreateMultipartUpload", CreateMultipartUpload},
      {"UploadPart", UploadPart},
      {"CompleteMultipartUpload", CompleteMultipartUpload},
      {"AbortMultipartUpload", AbortMultipartUpload},
      {"ListParts", ListParts},
      {kUnknownSubresourceApi, UnknownSubresource},
  };
  auto it = kHandlers.find(api);
  return it == kHandlers.end() ? nullptr : it->second;
}

S3Service::S3Service(fsclient::ObjectStore& store, const auth::CredentialStore& users,
                     metrics::Metrics& metrics, AccessLog& access_log, S3ServiceOptions options)
    : store_(store),
      users_(users),
      metrics_(metrics),
      access_log_(access_log),
      options_(std::move(options)) {}

void S3Service::Handle(HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  auto start = std::chrono::steady_clock::now();
  metrics_.AddHttpInflight(1);
  S3Target target = RouteRequest(request, options_.domain);

  auth::RequestView view;
  view.method = request.method;
  view.target = request.target;
  view.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) view.headers.emplace_back(name, value);
  auth::AuthResult auth =
      auth::Authenticate(view, users_, std::chrono::system_clock::now(), options_.region);

  PayloadReader payload(request, body, auth, options_.max_object_size);
  S3Context ctx{.request = request,
                .payload = payload,
                .response = response,
                .store = store_,
                .bucket = std::move(target.bucket),
                .key = std::move(target.key),
                .request_id = NewRequestId(),
                .host_id = NewHostId(),
                .api = std::move(target.api),
                .user = nullptr,
                .region = options_.region,
                .bucket_attributes = {},
                .status = 0,
                .bytes_out = 0,
                .error_code = {}};

  if (!HasValidEscapes(request.target)) {
    ctx.Error("InvalidURI");
  } else if (!auth.ok) {
    ctx.Error(auth.error_code, auth.error_message, auth.error_details);
  } else {
    ctx.user = auth.credentials;
    std::string message;
    if (!Authorize(ctx)) {
      // answered (AccessDenied)
    } else if (std::string code = payload.Validate(&message); !code.empty()) {
      ctx.Error(code, message);
    } else if (S3Handler handler = FindHandler(ctx.api)) {
      handler(ctx);
    } else if (ctx.api == "Unknown") {
      ctx.Error("MethodNotAllowed");
    } else {
      ctx.Error("NotImplemented", "This operation is not implemented by fsgate: " + ctx.api);
    }
  }
  if (!response.started()) ctx.Error("InternalError");

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.AddHttpInflight(-1);
  metrics_.HttpRequest(ctx.api, ctx.status, seconds);
  metrics_.HttpBytes(metrics::Direction::kIn, payload.bytes_read());
  metrics_.HttpBytes(metrics::Direction::kOut, ctx.bytes_out);
  access_log_.Write({ctx.request_id, request.remote_address,
                     ctx.user != nullptr ? std::string_view(ctx.user->access_key) : "", ctx.api,
                     ctx.bucket, ctx.key, ctx.status, ctx.error_code, payload.bytes_read(),
                     ctx.bytes_out, seconds});
}

void S3Service::ProtocolError(int status, std::string_view remote, ResponseWriter& response) {
  std::string_view code = status == 408   ? "RequestTimeout"
                          : status == 431 ? "RequestHeaderSectionTooLarge"
                          : status == 501 ? "NotImplemented"
                                          : "BadRequest";
  std::string request_id = NewRequestId();
  Headers headers = S3BaseHeaders(request_id, NewHostId());
  headers.emplace_back("Content-Type", "application/xml");
  std::string body = ErrorXml(code, DefaultErrorMessage(code), "/", request_id);
  int http_status = HttpStatusForError(code);
  response.Send(http_status, std::move(headers), body);
  metrics_.HttpRequest("Unknown", http_status, 0);
  metrics_.HttpBytes(metrics::Direction::kOut, body.size());
  access_log_.Write(
      {request_id, remote, "", "Unknown", "", "", http_status, code, 0, body.size(), 0});
}

}  // namespace fsgate::gateway
