#include "gateway/xml_bodies.h"

#include <charconv>

#include "gateway/object_headers.h"
#include "gateway/xml.h"

namespace fsgate::gateway {

std::optional<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "CreateBucketConfiguration", doc);
  if (!root) return std::nullopt;
  return ChildText(root, "LocationConstraint");
}

std::optional<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "Delete", doc);
  if (!root) return std::nullopt;
  DeleteObjectsRequest request;
  request.quiet = ChildText(root, "Quiet") == "true";
  for (auto node : root.children("Object")) {
    request.keys.push_back(ChildText(node, "Key"));
    request.version_ids.push_back(ChildText(node, "VersionId"));
    request.has_version_ids = request.has_version_ids || !request.version_ids.back().empty();
    store::DeleteConditions& conditions = request.conditions.emplace_back();
    constexpr std::pair<const char*, DeleteCondition> kFields[] = {
        {"ETag", DeleteCondition::kEtag},
        {"LastModifiedTime", DeleteCondition::kLastModified},
        {"Size", DeleteCondition::kSize}};
    for (const auto& [name, which] : kFields) {
      if (!node.child(name)) continue;
      if (!AddDeleteCondition(which, ChildText(node, name), conditions).ok()) return std::nullopt;
    }
    request.has_conditions = request.has_conditions || conditions.Any();
    if (request.keys.size() > kMaxDeleteObjects) return std::nullopt;
  }
  if (request.keys.empty()) return std::nullopt;
  return request;
}

std::optional<std::vector<store::CompletedPart>> ParseCompleteMultipartUpload(
    std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "CompleteMultipartUpload", doc);
  if (!root) return std::nullopt;
  std::vector<store::CompletedPart> parts;
  for (auto node : root.children("Part")) {
    const std::string text = ChildText(node, "PartNumber");
    long long number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || number < 1 ||
        number > kMaxPartNumber) {
      return std::nullopt;
    }
    store::CompletedPart part{static_cast<int>(number), UnquoteEtag(ChildText(node, "ETag")), {}};
    for (auto child : node.children()) {
      std::string_view name = child.name();
      if (name.starts_with("Checksum")) {
        part.checksums.emplace_back(name.substr(8), child.text().get());
      }
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

std::optional<store::HeaderList> ParseTagging(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "Tagging", doc);
  if (!root) return std::nullopt;
  auto tag_set = root.child("TagSet");
  if (!tag_set) return std::nullopt;
  store::HeaderList tags;
  for (auto tag : tag_set.children("Tag")) {
    if (!tag.child("Key") || !tag.child("Value")) return std::nullopt;
    tags.emplace_back(ChildText(tag, "Key"), ChildText(tag, "Value"));
  }
  return tags;
}

std::optional<AccessControlPolicyXml> ParseAccessControlPolicy(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "AccessControlPolicy", doc);
  if (!root) return std::nullopt;
  AccessControlPolicyXml policy;
  policy.owner_id = ChildText(root.child("Owner"), "ID");
  auto list = root.child("AccessControlList");
  if (!list) return std::nullopt;
  for (auto node : list.children("Grant")) {
    auto grantee = node.child("Grantee");
    const auto permission = auth::PermissionOf(ChildText(node, "Permission"));
    if (!grantee || !permission) return std::nullopt;
    // The type is an xsi:type attribute, whatever prefix the sender bound.
    std::string type;
    for (auto attribute : grantee.attributes()) {
      const std::string_view name = attribute.name();
      if (name == "type" || name.ends_with(":type")) type = attribute.value();
    }
    AclGrantXml grant{.id = {}, .uri = {}, .email = {}, .permission = *permission};
    if (type == "CanonicalUser") {
      grant.id = ChildText(grantee, "ID");
      if (grant.id.empty()) return std::nullopt;
    } else if (type == "Group") {
      grant.uri = ChildText(grantee, "URI");
      if (grant.uri.empty()) return std::nullopt;
    } else if (type == "AmazonCustomerByEmail") {
      grant.email = ChildText(grantee, "EmailAddress");
      if (grant.email.empty()) return std::nullopt;
    } else {
      return std::nullopt;
    }
    policy.grants.push_back(std::move(grant));
  }
  return policy;
}

std::optional<std::array<bool, 4>> ParsePublicAccessBlock(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "PublicAccessBlockConfiguration", doc);
  if (!root) return std::nullopt;
  std::array<bool, 4> flags{};
  constexpr const char* kNames[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                    "RestrictPublicBuckets"};
  for (size_t i = 0; i < flags.size(); ++i) {
    if (!root.child(kNames[i])) continue;
    const std::string value = ChildText(root, kNames[i]);
    if (value != "true" && value != "false") return std::nullopt;
    flags[i] = value == "true";
  }
  return flags;
}

std::optional<std::string> ParseOwnershipControls(std::string_view body) {
  pugi::xml_document doc;
  auto root = ParseXmlBody(body, "OwnershipControls", doc);
  if (!root) return std::nullopt;
  auto rules = root.children("Rule");
  if (std::distance(rules.begin(), rules.end()) != 1) return std::nullopt;
  std::string ownership = ChildText(root.child("Rule"), "ObjectOwnership");
  if (ownership.empty()) return std::nullopt;
  return ownership;
}

}  // namespace fsgate::gateway
