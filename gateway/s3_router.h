// Which S3 operation a request is, and which bucket and key it names.
#pragma once

#include <string>
#include <string_view>

#include "http/http_message.h"

namespace fsgate::gateway {

struct S3Target {
  std::string bucket;
  std::string key;
  std::string api;  // S3 operation name, "Unknown" when none matches
};

// The operation name of a bucket request whose query names a sub-resource
// fsgate does not know: answered NotImplemented.
inline constexpr std::string_view kUnknownSubresourceApi = "UnknownSubresource";

// The first query parameter of a bucket request that makes it
// kUnknownSubresourceApi, for the error message.
std::string_view UnknownBucketParameter(const http::HttpRequest& request);

// Virtual-hosted style when the Host header is "<bucket>.<domain>" (and
// `domain` is set), else path style "/<bucket>/<key>".
S3Target RouteRequest(const http::HttpRequest& request, std::string_view domain);

}  // namespace fsgate::gateway
