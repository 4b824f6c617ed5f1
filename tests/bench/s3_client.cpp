#include "tests/bench/s3_client.h"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "auth/sigv4.h"
#include "base/hash.h"

namespace fsgate::bench {

std::pair<std::string, std::string> SplitHostPort(std::string_view endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == endpoint.size()) {
    throw std::invalid_argument("expected host:port, got '" + std::string(endpoint) + "'");
  }
  std::string host(endpoint.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {std::move(host), std::string(endpoint.substr(colon + 1))};
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~' || (keep_slash && u == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

S3Client::S3Client(S3Endpoint endpoint)
    : endpoint_(std::move(endpoint)),
      host_header_(endpoint_.host.find(':') != std::string::npos
                       ? "[" + endpoint_.host + "]:" + endpoint_.port
                       : endpoint_.host + ":" + endpoint_.port),
      connection_(endpoint_.host, endpoint_.port) {}

HttpResponse S3Client::CreateBucket(std::string_view bucket) {
  return Send("PUT", "/" + UriEncode(bucket, false), {});
}

HttpResponse S3Client::PutObject(std::string_view bucket, std::string_view key,
                                 std::string_view body) {
  return Send("PUT", "/" + UriEncode(bucket, false) + "/" + UriEncode(key, true), body);
}

HttpResponse S3Client::GetObject(std::string_view bucket, std::string_view key) {
  return Send("GET", "/" + UriEncode(bucket, false) + "/" + UriEncode(key, true), {});
}

HttpResponse S3Client::DeleteObject(std::string_view bucket, std::string_view key) {
  return Send("DELETE", "/" + UriEncode(bucket, false) + "/" + UriEncode(key, true), {});
}

HttpResponse S3Client::ListObjects(std::string_view bucket, std::string_view prefix, int max_keys,
                                   std::string_view continuation_token) {
  // Parameters already in canonical (sorted, encoded) order.
  std::string target = "/" + UriEncode(bucket, false) + "?";
  if (!continuation_token.empty()) {
    target += "continuation-token=" + UriEncode(continuation_token, false) + "&";
  }
  target +=
      "list-type=2&max-keys=" + std::to_string(max_keys) + "&prefix=" + UriEncode(prefix, false);
  return Send("GET", target, {});
}

HeaderList S3Client::SignedHeaders(std::string_view method, const std::string& target,
                                   std::string_view body) const {
  HeaderList headers{{"host", host_header_}};
  const std::string payload_hash = endpoint_.sign_payload
                                       ? HexEncode(Digest(HashAlgorithm::kSha256, body))
                                       : std::string("UNSIGNED-PAYLOAD");
  auth::SignRequest(method, target, headers, payload_hash, endpoint_.credentials, endpoint_.region,
                    std::chrono::system_clock::now());
  return headers;
}

HttpResponse S3Client::Send(std::string_view method, const std::string& target,
                            std::string_view body) {
  return connection_.Send(method, target, SignedHeaders(method, target, body), body);
}

std::string S3Client::HeadBucketRequest(std::string_view bucket) const {
  const std::string target = "/" + UriEncode(bucket, false);
  std::string request = "HEAD " + target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : SignedHeaders("HEAD", target, {})) {
    request += name + ": " + value + "\r\n";
  }
  return request + "\r\n";
}

}  // namespace fsgate::bench
