#include "gateway/object_headers.h"

#include <charconv>

#include "base/hash.h"
#include "base/iso8601.h"
#include "gateway/mime_words.h"
#include "gateway/s3_time.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kMetaPrefix = "x-amz-meta-";
constexpr size_t kMaxUserMetadataBytes = 2048;
constexpr const char* kStoredHeaders[] = {"content-encoding", "content-disposition",
                                          "content-language", "cache-control", "expires"};

// Whether a request header is stored with the object and returned on GET/HEAD.
bool IsStoredHeader(std::string_view name) {
  if (name == "content-type" || name.starts_with(kMetaPrefix)) return true;
  for (std::string_view stored : kStoredHeaders) {
    if (name == stored) return true;
  }
  return false;
}

// Canonical spelling for a response header we stored lower-cased.
std::string CanonicalHeaderName(std::string_view lower) {
  std::string out(lower);
  bool upper = true;
  for (auto& c : out) {
    if (upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

// aws-chunked is the transfer framing of this request, not a property of the
// object: S3 drops it from the stored Content-Encoding, which otherwise is
// kept as sent ("deflate, gzip" stays so).
std::string WithoutAwsChunked(std::string_view value) {
  const std::string_view sent = value;
  bool dropped = false;
  std::string out;
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "aws-chunked") {
      dropped = true;
    } else if (!item.empty()) {
      if (!out.empty()) out += ", ";
      out += item;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return dropped ? out : std::string(sent);
}

}  // namespace

Status CheckStorageClass(const http::HttpRequest& request) {
  const std::string* v = request.Header("x-amz-storage-class");
  if (v == nullptr || *v == "STANDARD") return Status::Ok();
  return S3Error("InvalidStorageClass", "The storage class you specified is not valid");
}

Status MetaFromRequest(const http::HttpRequest& request, store::ObjectMeta& meta) {
  if (Status s = CheckStorageClass(request); !s.ok()) return s;
  // Every value kept here is sent back as a header on GET and HEAD.
  for (const auto& [name, value] : request.headers) {
    if (!IsStoredHeader(name) || http::IsValidHeaderValue(value)) continue;
    return S3Error(s3err::kInvalidArgument,
                   "Header value cannot contain control characters: " + name);
  }
  if (const std::string* type = request.Header("content-type")) meta.content_type = *type;
  for (const char* name : kStoredHeaders) {
    const std::string* value = request.Header(name);
    if (value == nullptr) continue;
    std::string stored =
        std::string_view(name) == "content-encoding" ? WithoutAwsChunked(*value) : *value;
    if (!stored.empty()) meta.system_headers.emplace_back(name, std::move(stored));
  }
  size_t user_bytes = 0;
  for (const auto& [name, value] : request.headers) {
    if (!name.starts_with(kMetaPrefix)) continue;
    std::string key = name.substr(kMetaPrefix.size());
    user_bytes += key.size() + value.size();
    meta.user_meta.emplace_back(std::move(key), DecodeMimeWords(value));
  }
  if (user_bytes > kMaxUserMetadataBytes) {
    return S3Error(s3err::kMetadataTooLarge,
                   "Your metadata headers exceed the maximum allowed metadata size.");
  }
  return Status::Ok();
}

void AppendMetaHeaders(const store::ObjectMeta& meta, bool include_checksums, http::Headers& out) {
  out.emplace_back("ETag", QuotedEtag(meta.etag));
  out.emplace_back("Last-Modified", FormatHttpDate(meta.mtime_ns));
  out.emplace_back("Content-Type",
                   meta.content_type.empty() ? "binary/octet-stream" : meta.content_type);
  out.emplace_back("Accept-Ranges", "bytes");
  for (const auto& [name, value] : meta.system_headers) {
    out.emplace_back(CanonicalHeaderName(name), value);
  }
  for (const auto& [name, value] : meta.user_meta) {
    out.emplace_back(std::string(kMetaPrefix) + name, EncodeMimeWord(value));
  }
  if (!meta.tags.empty()) out.emplace_back("x-amz-tagging-count", std::to_string(meta.tags.size()));
  if (include_checksums && !meta.checksums.empty()) {
    AppendChecksumHeaders(meta, out);
    // A single-part object's checksum is always of its bytes.
    out.emplace_back("x-amz-checksum-type",
                     meta.checksum_type.empty() ? "FULL_OBJECT" : meta.checksum_type);
  }
}

void AppendChecksumHeaders(const store::ObjectMeta& meta, http::Headers& out) {
  for (const auto& [algorithm, value] : meta.checksums) {
    out.emplace_back("x-amz-checksum-" + LowerChecksumName(algorithm), value);
  }
}

Result<store::WriteConditions> WriteConditionsFrom(const http::HttpRequest& request) {
  store::WriteConditions c;
  if (const std::string* v = request.Header("if-match")) c.if_match = UnquoteEtag(*v);
  if (const std::string* v = request.Header("if-none-match")) {
    if (*v != "*") {
      return S3Error(s3err::kNotImplemented,
                     "A header you provided implies functionality that is not implemented");
    }
    c.if_none_match = "*";
  }
  return c;
}

Status AddDeleteCondition(DeleteCondition which, std::string_view value,
                          store::DeleteConditions& out) {
  switch (which) {
    case DeleteCondition::kEtag:
      out.if_match = UnquoteEtag(value);
      return Status::Ok();
    case DeleteCondition::kLastModified: {
      std::optional<int64_t> seconds = ParseHttpDate(value);
      if (!seconds) seconds = ParseIso8601Seconds(value);
      if (!seconds) return S3Error("InvalidArgument", "Invalid last modified time specified");
      out.last_modified_s = seconds;
      return Status::Ok();
    }
    case DeleteCondition::kSize: {
      uint64_t size = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), size);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return S3Error("InvalidArgument", "Invalid size specified");
      }
      out.size = size;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status DeleteConditionsFrom(const http::HttpRequest& request, store::DeleteConditions& out) {
  constexpr std::pair<const char*, DeleteCondition> kHeaders[] = {
      {"if-match", DeleteCondition::kEtag},
      {"x-amz-if-match-last-modified-time", DeleteCondition::kLastModified},
      {"x-amz-if-match-size", DeleteCondition::kSize}};
  for (const auto& [name, which] : kHeaders) {
    if (const std::string* v = request.Header(name)) {
      if (Status s = AddDeleteCondition(which, *v, out); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

std::string QuotedEtag(const std::string& etag) { return "\"" + etag + "\""; }

std::string UnquoteEtag(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

}  // namespace fsgate::gateway
