#include "gateway/authenticate.h"

#include "auth/sigv4.h"
#include "gateway/payload_reader.h"

namespace fsgate::gateway {
namespace {

// An Authorization header or a presigned URL's parameters.
bool CarriesSigV4(const http::HttpRequest& request) {
  return request.Header("authorization") != nullptr || request.HasQuery("X-Amz-Signature") ||
         request.HasQuery("X-Amz-Credential") || request.HasQuery("X-Amz-Algorithm");
}

bool SigV4(S3Context& ctx, const auth::CredentialStore& users,
           std::chrono::system_clock::time_point now) {
  auth::RequestView view;
  view.method = ctx.request.method;
  view.target = ctx.request.target;
  view.headers.reserve(ctx.request.headers.size());
  for (const auto& [name, value] : ctx.request.headers) view.headers.emplace_back(name, value);
  // A request with neither an Authorization header nor a presigned query is
  // AccessDenied here.
  const auth::AuthResult result = auth::Authenticate(view, users, now, ctx.region);
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
  if (!CarriesSigV4(ctx.request)) {
    if ((allowed & kAuthPostForm) != 0) {
      // The policy and its signature are fields of the form; fsgate does not read them yet.
      ctx.NotImplemented();
      return false;
    }
    // Authorize decides, as for any caller: a bucket policy may allow an
    // anonymous caller any operation on a bucket, so every one that takes a
    // signature takes none too, and is denied by default.
    if ((allowed & (kAuthAnonymous | kAuthSigV4)) != 0) return true;
  } else if ((allowed & kAuthSigV4) == 0) {
    ctx.Error("InvalidRequest", "This operation does not take SigV4 authentication.");
    return false;
  }
  return SigV4(ctx, users, now);
}

}  // namespace fsgate::gateway
