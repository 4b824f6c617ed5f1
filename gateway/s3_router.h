// Which S3 operation a request is (a row of the operation table), and which
// bucket and key it names.
#pragma once

#include <string>
#include <string_view>

#include "gateway/s3_operation_table.h"
#include "http/http_message.h"

namespace fsgate::gateway {

struct S3Target {
  std::string bucket;
  std::string key;
  S3Operation operation = S3Operation::kUnknown;
  const S3OperationRow* row = nullptr;  // nullptr for kUnknown
};

// Virtual-hosted style when the Host header is "<bucket>.<domain>" (and
// `domain` is set), else path style "/<bucket>/<key>".
S3Target RouteRequest(const http::HttpRequest& request, std::string_view domain);

}  // namespace fsgate::gateway
