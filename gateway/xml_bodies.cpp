#include "gateway/xml_bodies.h"

#include <charconv>

#include "gateway/object_headers.h"
#include "gateway/xml.h"

namespace fsgate::gateway {

bool IsCreateBucketConfiguration(std::string_view body) {
  pugi::xml_document doc;
  return ParseXml(body, doc) &&
         std::string_view(doc.document_element().name()).ends_with("CreateBucketConfiguration");
}

std::optional<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body) {
  pugi::xml_document doc;
  if (!ParseXml(body, doc)) return std::nullopt;
  auto root = doc.document_element();
  if (!std::string_view(root.name()).ends_with("Delete")) return std::nullopt;
  DeleteObjectsRequest request;
  request.quiet = ChildText(root, "Quiet") == "true";
  for (auto node : root.children()) {
    if (!std::string_view(node.name()).ends_with("Object")) continue;
    request.keys.push_back(ChildText(node, "Key"));
    if (request.keys.size() > kMaxDeleteObjects) return std::nullopt;
  }
  if (request.keys.empty()) return std::nullopt;
  return request;
}

std::optional<std::vector<fsclient::CompletedPart>> ParseCompleteMultipartUpload(
    std::string_view body) {
  pugi::xml_document doc;
  if (!ParseXml(body, doc)) return std::nullopt;
  auto root = doc.document_element();
  if (!std::string_view(root.name()).ends_with("CompleteMultipartUpload")) return std::nullopt;
  std::vector<fsclient::CompletedPart> parts;
  for (auto node : root.children()) {
    if (!std::string_view(node.name()).ends_with("Part")) continue;
    const std::string text = ChildText(node, "PartNumber");
    long long number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || number < 1 ||
        number > kMaxPartNumber) {
      return std::nullopt;
    }
    parts.push_back({static_cast<int>(number), UnquoteEtag(ChildText(node, "ETag"))});
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

}  // namespace fsgate::gateway
