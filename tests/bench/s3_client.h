// A minimal path-style S3 client over one HttpConnection, SigV4-signed with
// auth::SignRequest: just the calls the load generator times.
#pragma once

#include <string>
#include <string_view>

#include "auth/credentials.h"
#include "tests/bench/http_connection.h"

namespace fsgate::bench {

struct S3Endpoint {
  std::string host;
  std::string port;
  std::string region = "us-east-1";
  auth::Credentials credentials;
  // false: x-amz-content-sha256 is UNSIGNED-PAYLOAD, so the client spends no
  // time hashing; true: the body's real SHA-256, as the SDKs send by default.
  bool sign_payload = false;
};

// "host:port" -> {host, port}; throws std::invalid_argument when malformed.
std::pair<std::string, std::string> SplitHostPort(std::string_view endpoint);

// S3's URI encoding: unreserved characters kept, '/' kept when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

class S3Client {
 public:
  explicit S3Client(S3Endpoint endpoint);

  HttpResponse CreateBucket(std::string_view bucket);
  HttpResponse PutObject(std::string_view bucket, std::string_view key, std::string_view body);
  HttpResponse GetObject(std::string_view bucket, std::string_view key);
  HttpResponse DeleteObject(std::string_view bucket, std::string_view key);
  // ListObjectsV2: the first page, or the page a continuation token names.
  HttpResponse ListObjects(std::string_view bucket, std::string_view prefix, int max_keys,
                           std::string_view continuation_token = {});

  // HeadBucket as raw HTTP/1.1 request bytes, signed now: for connections the
  // caller drives itself (IdleConnections), valid for SigV4's 15 minutes.
  std::string HeadBucketRequest(std::string_view bucket) const;

 private:
  HttpResponse Send(std::string_view method, const std::string& target, std::string_view body);
  // Host, x-amz-date, x-amz-content-sha256 and Authorization for the request.
  HeaderList SignedHeaders(std::string_view method, const std::string& target,
                           std::string_view body) const;

  S3Endpoint endpoint_;
  std::string host_header_;
  HttpConnection connection_;
};

}  // namespace fsgate::bench
