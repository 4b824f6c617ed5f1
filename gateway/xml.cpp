#include "gateway/xml.h"

#include <sstream>

namespace fsgate::gateway {

XmlResponse::XmlResponse(const char* root_name, bool s3_namespace) {
  auto decl = doc_.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  root_ = doc_.append_child(root_name);
  if (s3_namespace) root_.append_attribute("xmlns") = kS3Namespace;
}

std::string XmlResponse::str() const {
  std::ostringstream out;
  doc_.save(out, "", pugi::format_raw);
  return out.str();
}

pugi::xml_node AddText(pugi::xml_node parent, const char* name, std::string_view text) {
  auto node = parent.append_child(name);
  node.text().set(std::string(text).c_str());
  return node;
}

bool ParseXml(std::string_view body, pugi::xml_document& doc) {
  return doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
}

std::string ChildText(pugi::xml_node node, const char* name) {
  for (auto child : node.children()) {
    std::string_view n = child.name();
    auto colon = n.find(':');
    if (colon != std::string_view::npos) n = n.substr(colon + 1);
    if (n == name) return child.text().as_string();
  }
  return {};
}

}  // namespace fsgate::gateway
