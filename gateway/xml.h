// XML in and out of S3 requests (pugixml).
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace fsgate::gateway {

inline constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// A response document: <?xml …?><Root xmlns="…">…</Root>.
class XmlResponse {
 public:
  explicit XmlResponse(const char* root_name, bool s3_namespace = true);
  pugi::xml_node root() const { return root_; }
  std::string str() const;

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

// Appends <name>text</name> to `parent` and returns it.
pugi::xml_node AddText(pugi::xml_node parent, const char* name, std::string_view text);

// Parses an S3 request body into `doc` and returns its root element, or an
// empty node when S3 answers MalformedXML: not well-formed XML 1.0 (pugixml
// is lenient, so this also refuses what it would let through: bytes that are
// not UTF-8, characters outside XML 1.0's Char production, raw or as a
// character reference such as "&#0;", which pugixml would turn into a NUL
// that cuts the text short), or a root element not called exactly
// `root_name`, unprefixed, in no namespace or S3's as the default one.
pugi::xml_node ParseXmlBody(std::string_view body, const char* root_name, pugi::xml_document& doc);

// The text of the first child element called exactly `name`, or "".
std::string ChildText(pugi::xml_node node, const char* name);

}  // namespace fsgate::gateway
