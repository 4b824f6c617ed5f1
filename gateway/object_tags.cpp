#include "gateway/object_tags.h"

#include <algorithm>
#include <set>

#include "base/utf8.h"
#include "http/url.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kInvalidTag = "InvalidTag";

bool IsTagSymbol(uint32_t c) {
  return c == ' ' || c == '_' || c == '.' || c == ':' || c == '/' || c == '=' || c == '+' ||
         c == '-' || c == '@';
}

bool IsTagCharacter(uint32_t c) {
  if (c >= 0x80) return true;
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         IsTagSymbol(c);
}

// UTF-16 code units of `text` when every character is allowed in a tag; -1 otherwise.
long TagTextLength(std::string_view text) {
  long units = 0;
  while (!text.empty()) {
    uint32_t c = 0;
    const size_t n = DecodeUtf8(text, c);
    if (n == 0 || !IsTagCharacter(c)) return -1;
    units += c >= 0x10000 ? 2 : 1;
    text.remove_prefix(n);
  }
  return units;
}

Status HeaderNotEncoded() {
  return S3Error(s3err::kInvalidArgument,
                 "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
                 "parameters without tag name duplicates.");
}

}  // namespace

Status ValidateTags(const store::HeaderList& tags, size_t max_tags) {
  if (tags.size() > max_tags) {
    if (max_tags == kMaxObjectTags) {
      return S3Error("BadRequest", "Object tags cannot be greater than 10");
    }
    return S3Error(kInvalidTag,
                   "Bucket tag count cannot be greater than " + std::to_string(max_tags));
  }
  std::set<std::string_view> keys;
  for (const auto& [key, value] : tags) {
    const long key_length = TagTextLength(key);
    if (key_length > static_cast<long>(kMaxTagKeyLength)) {
      return S3Error(kInvalidTag, "The TagKey you have provided is too long, max 128");
    }
    if (key_length <= 0) return S3Error(kInvalidTag, "The TagKey you have provided is invalid");
    const long value_length = TagTextLength(value);
    if (value_length > static_cast<long>(kMaxTagValueLength)) {
      return S3Error(kInvalidTag, "The TagValue you have provided is too long, max 256");
    }
    if (value_length < 0) return S3Error(kInvalidTag, "The TagValue you have provided is invalid");
    if (key.starts_with("aws:")) {
      return S3Error(kInvalidTag, "Your TagKey cannot be prefixed with aws:");
    }
    if (!keys.insert(key).second) {
      return S3Error(kInvalidTag, "Cannot provide multiple Tags with the same key");
    }
  }
  return Status::Ok();
}

Result<store::HeaderList> ParseTaggingHeader(std::string_view header) {
  store::HeaderList tags;
  std::set<std::string> keys;
  while (!header.empty()) {
    const size_t amp = header.find('&');
    std::string_view pair = header.substr(0, amp);
    header = amp == std::string_view::npos ? std::string_view() : header.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (raw_value.find('=') != std::string_view::npos) return HeaderNotEncoded();
    std::string key = http::PercentDecode(raw_key, /*plus_is_space=*/true);
    if (!keys.insert(key).second) return HeaderNotEncoded();
    tags.emplace_back(std::move(key), http::PercentDecode(raw_value, /*plus_is_space=*/true));
  }
  if (Status s = ValidateTags(tags, kMaxObjectTags); !s.ok()) return s;
  std::sort(tags.begin(), tags.end());
  return tags;
}

Status TagsFromRequest(const http::HttpRequest& request, store::HeaderList& tags) {
  const std::string* header = request.Header("x-amz-tagging");
  if (header == nullptr) return Status::Ok();
  auto parsed = ParseTaggingHeader(*header);
  if (!parsed.ok()) return parsed.status();
  tags = std::move(*parsed);
  return Status::Ok();
}

}  // namespace fsgate::gateway
