// The HttpRequest handlers see, built from a request head Beast has parsed.
// Shared by the server and the HTTP fuzz target, so the bytes a client sends
// reach the router the same way in both. Includes Beast: only for
// translation units that already do.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <cctype>

#include "http/http_message.h"
#include "http/url.h"

namespace fsgate::http {

// Method, target (split and decoded), headers (names lower-cased) and declared
// Content-Length; the caller sets remote_address.
template <class Body>
HttpRequest RequestFromParser(const boost::beast::http::request_parser<Body>& parser) {
  const auto& msg = parser.get();
  HttpRequest request;
  request.method = std::string(msg.method_string());
  request.target = std::string(msg.target());
  SplitTarget(request.target, request.path, request.query);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (auto length = parser.content_length()) request.content_length = *length;
  return request;
}

}  // namespace fsgate::http
