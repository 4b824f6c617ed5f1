// Authenticate: who is asking? The second stage of a request, after routing:
// the ways the operation's row allows (SigV4 or SigV2 header or presigned URL, POST
// form, anonymous), checked against what the request carries.
#pragma once

#include <chrono>

#include "gateway/s3_context.h"

namespace fsgate::auth {
class CredentialStore;
}

namespace fsgate::gateway {

// Sets ctx.user and how ctx.payload is protected; false after answering the
// authentication error. A request carrying no credentials goes on with no
// user (anonymous): Authorize decides, as a bucket policy may allow it.
bool Authenticate(S3Context& ctx, const auth::CredentialStore& users,
                  std::chrono::system_clock::time_point now);

}  // namespace fsgate::gateway
