#include "gateway/authenticate.h"

#include "auth/sigv2.h"
#include "auth/sigv4.h"
#include "gateway/payload_reader.h"

namespace fsgate::gateway {
namespace {

// SigV2's Authorization header ("AWS AccessKeyId:Signature").
bool CarriesSigV2Header(const http::HttpRequest& request) {
  const std::string* authorization = request.Header("authorization");
  return authorization != nullptr && auth::IsHeaderV2(*authorization);
}

// Any other Authorization header or a presigned URL's parameters: a header
// of another scheme is refused by auth::Authenticate, as is one beside them.
bool CarriesSigV4(const http::HttpRequest& request) {
  return (request.Header("authorization") != nullptr && !CarriesSigV2Header(request)) ||
         request.HasQuery("X-Amz-Signature") || request.HasQuery("X-Amz-Credential") ||
         request.HasQuery("X-Amz-Algorithm");
}

// SigV2's presigned query (s3cmd signurl).
bool CarriesSigV2Query(const http::HttpRequest& request) {
  return request.HasQuery("AWSAccessKeyId") || request.HasQuery("Signature");
}

enum class Scheme { kSigV4, kHeaderV2, kPresignedV2 };

auth::RequestView ViewOf(const http::HttpRequest& request) {
  auth::RequestView view;
  view.method = request.method;
  view.target = request.target;
  view.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) view.headers.emplace_back(name, value);
  return view;
}

// The bucket a virtual-hosted request names in its Host: a path-style
// request's path starts with its bucket. (A virtual-hosted key that repeats
// its bucket's name reads as path-style, and its V2 signature then fails:
// never the other way round.)
std::string_view HostBucket(const S3Context& ctx) {
  const std::string_view path = ctx.request.path;
  const bool path_style =
      path.size() > ctx.bucket.size() && path[0] == '/' &&
      path.substr(1, ctx.bucket.size()) == ctx.bucket &&
      (path.size() == ctx.bucket.size() + 1 || path[ctx.bucket.size() + 1] == '/');
  return path_style || ctx.bucket.empty() ? std::string_view{} : std::string_view(ctx.bucket);
}

bool Verify(S3Context& ctx, const auth::CredentialStore& users,
            std::chrono::system_clock::time_point now, Scheme scheme) {
  const auth::RequestView view = ViewOf(ctx.request);
  const auth::AuthResult result =
      scheme == Scheme::kPresignedV2
          ? auth::AuthenticatePresignedV2(view, users, now, HostBucket(ctx))
      : scheme == Scheme::kHeaderV2
          ? auth::AuthenticateHeaderV2(view, *ctx.request.Header("authorization"), users, now,
                                       HostBucket(ctx))
          : auth::Authenticate(view, users, now, ctx.region);
  if (!result.ok) {
    ctx.Error(result.error_code, result.error_message, result.error_details);
    return false;
  }
  ctx.user = result.credentials;
  ctx.payload.Protect(result);
  return true;
}

}  // namespace

bool Authenticate(S3Context& ctx, const auth::CredentialStore& users,
                  std::chrono::system_clock::time_point now) {
  const AuthModes allowed = ctx.row != nullptr ? ctx.row->auth : kAuthSigV4;
  if (allowed == kAuthNone) return true;
  const bool v4 = CarriesSigV4(ctx.request);
  const bool v2_header = !v4 && CarriesSigV2Header(ctx.request);
  const bool v2 = !v4 && !v2_header && CarriesSigV2Query(ctx.request);
  if (!v4 && !v2_header && !v2) {
    // The policy and its signature are fields of the form: its handler reads them.
    if ((allowed & kAuthPostForm) != 0) return true;
    // Authorize decides, as for any caller: a bucket policy may allow an
    // anonymous caller any operation on a bucket, so every one that takes a
    // signature takes none too, and is denied by default.
    if ((allowed & (kAuthAnonymous | kAuthSigV4)) != 0) return true;
  } else if ((allowed & (v2 ? AuthModes{kAuthPresigned} : kAuthSigV4)) == 0) {
    ctx.Error("InvalidRequest", "This operation does not take SigV4 authentication.");
    return false;
  }
  return Verify(ctx, users, now,
                v2          ? Scheme::kPresignedV2
                : v2_header ? Scheme::kHeaderV2
                            : Scheme::kSigV4);
}

}  // namespace fsgate::gateway
