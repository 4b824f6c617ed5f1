// The HttpRequest handlers see, built from a request head Beast has parsed.
// Shared by the server and the HTTP fuzz target, so the bytes a client sends
// reach the router the same way in both. Includes Beast: only for
// translation units that already do.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <iterator>

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
  // Sized once: grown header by header, a signed GET's eight fields moved the
  // vector three times; and lower-cased by ASCII alone (a field name is a
  // token), not through the locale's tolower per character.
  request.headers.reserve(static_cast<size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (auto length = parser.content_length()) request.content_length = *length;
  return request;
}

}  // namespace fsgate::http
