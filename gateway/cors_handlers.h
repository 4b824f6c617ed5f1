// The CORS stage of a request (before authentication, so that errors carry
// the headers too): a request from a browser (with an Origin header) that a
// rule of the bucket's CORS configuration allows gets that rule's
// Access-Control-* headers and Vary on its answer, whatever the answer is.
#pragma once

#include "gateway/s3_context.h"

namespace fsgate::gateway {

// Fills ctx.cors_headers; answers nothing.
void ApplyCorsRules(S3Context& ctx);

}  // namespace fsgate::gateway
