// Which S3 operation a request is, and which bucket and key it names.
#pragma once

#include <string>
#include <string_view>

#include "gateway/http_message.h"

namespace fsgate::gateway {

struct S3Target {
  std::string bucket;
  std::string key;
  std::string api;  // S3 operation name, "Unknown" when none matches
};

// Virtual-hosted style when the Host header is "<bucket>.<domain>" (and
// `domain` is set), else path style "/<bucket>/<key>".
S3Target RouteRequest(const HttpRequest& request, std::string_view domain);

}  // namespace fsgate::gateway
