#include "http/http_message.h"

namespace fsgate::http {

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

const std::string* HttpRequest::Query(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace fsgate::http
