#include "gateway/s3_router.h"

#include <cctype>

namespace fsgate::gateway {
namespace {

std::string HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') return std::string(host);  // IPv6 literal
  auto colon = host.rfind(':');
  std::string out(host.substr(0, colon));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

S3Target RouteRequest(const http::HttpRequest& request, std::string_view domain) {
  S3Target target;
  std::string_view path = request.path;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);

  bool virtual_hosted = false;
  if (!domain.empty()) {
    if (const std::string* host = request.Header("host")) {
      // "<bucket>.<domain>": compared in place, no "." + domain temporary
      // (GCC 12 -O3 reports a false -Wrestrict on it, failing Release builds).
      std::string h = HostWithoutPort(*host);
      const size_t dot = h.size() - domain.size() - 1;
      if (h.size() > domain.size() + 1 && h.ends_with(domain) && h[dot] == '.') {
        target.bucket = h.substr(0, dot);
        target.key = std::string(path);
        virtual_hosted = true;
      }
    }
  }
  if (!virtual_hosted) {
    auto slash = path.find('/');
    target.bucket = std::string(path.substr(0, slash));
    if (slash != std::string_view::npos) target.key = std::string(path.substr(slash + 1));
  }

  const Addressed addressed = target.bucket.empty() ? Addressed::kService
                              : target.key.empty()  ? Addressed::kBucket
                                                    : Addressed::kObject;
  target.row = MatchS3Operation(request, addressed);
  if (target.row != nullptr) target.operation = target.row->operation;
  return target;
}

}  // namespace fsgate::gateway
