#include "gateway/xml.h"
#include "base/utf8.h"

#include <cstdint>
#include <sstream>

#include "store/key_path.h"

namespace fsgate::gateway {
namespace {

// XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
// | [#x10000-#x10FFFF].
bool IsXmlChar(uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// "&#...;" at the start of `s`: its length when it names an XML Char, else 0.
size_t CharReference(std::string_view s) {
  size_t i = 2;
  const bool hex = s.size() > i && s[i] == 'x';
  if (hex) ++i;
  const size_t digits = i;
  uint32_t c = 0;
  for (; i < s.size() && s[i] != ';'; ++i) {
    const char d = s[i];
    int v = -1;
    if (d >= '0' && d <= '9') v = d - '0';
    if (hex && d >= 'a' && d <= 'f') v = d - 'a' + 10;
    if (hex && d >= 'A' && d <= 'F') v = d - 'A' + 10;
    if (v < 0) return 0;
    c = c * (hex ? 16 : 10) + static_cast<uint32_t>(v);
    if (c > 0x10FFFF) return 0;
  }
  if (i == digits || i == s.size() || !IsXmlChar(c)) return 0;
  return i + 1;
}

// What pugixml lets through and XML 1.0 forbids: text that is not UTF-8, a
// character outside Char, raw or as a character reference. CDATA sections and
// comments hold no references ("&#0;" there is literal text); their raw
// characters are checked all the same.
bool IsXmlText(std::string_view body) {
  std::string_view literal_end;  // inside a CDATA section or a comment, until this
  for (size_t i = 0; i < body.size();) {
    std::string_view rest = body.substr(i);
    if (!literal_end.empty()) {
      if (rest.starts_with(literal_end)) {
        i += literal_end.size();
        literal_end = {};
        continue;
      }
    } else if (rest.starts_with("<![CDATA[")) {
      literal_end = "]]>";
      i += 9;
      continue;
    } else if (rest.starts_with("<!--")) {
      literal_end = "-->";
      i += 4;
      continue;
    } else if (rest.starts_with("&#")) {
      const size_t n = CharReference(rest);
      if (n == 0) return false;
      i += n;
      continue;
    }
    uint32_t c = 0;
    const size_t n = DecodeUtf8(rest, c);
    if (n == 0 || !IsXmlChar(c)) return false;
    i += n;
  }
  return true;
}

}  // namespace

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

pugi::xml_node ParseXmlBody(std::string_view body, const char* root_name, pugi::xml_document& doc) {
  if (!IsXmlText(body)) return {};
  // parse_ws_pcdata_single: an element holding only whitespace keeps it
  // (`<Key> </Key>` names the key " "), while the whitespace that indents
  // elements is still dropped.
  constexpr unsigned kOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;
  if (!doc.load_buffer(body.data(), body.size(), kOptions, pugi::encoding_utf8)) {
    return {};
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != root_name) return {};
  // The default namespace, when declared, must be S3's. Prefixes may be
  // declared (xmlns:xsi for an ACL's grantee type) but never name the root.
  pugi::xml_attribute default_namespace = root.attribute("xmlns");
  if (default_namespace && default_namespace.value() != std::string_view(kS3Namespace)) return {};
  return root;
}

std::string ChildText(pugi::xml_node node, const char* name) {
  return node.child(name).text().as_string();
}

}  // namespace fsgate::gateway
