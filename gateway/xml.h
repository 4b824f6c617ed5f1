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

// Parses a request body; false on malformed XML.
bool ParseXml(std::string_view body, pugi::xml_document& doc);

// The text of the first child called `name` (namespace prefixes ignored).
std::string ChildText(pugi::xml_node node, const char* name);

}  // namespace fsgate::gateway
