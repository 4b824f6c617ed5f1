#include <charconv>

#include "base/hash.h"
#include "gateway/bucket_access.h"
#include "gateway/object_headers.h"
#include "gateway/s3_error.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "http/url.h"
#include "store/version_id.h"

namespace fsgate::gateway {
namespace {

constexpr size_t kMaxKeysLimit = 1000;

struct ListParams {
  std::string prefix;
  std::string delimiter;
  size_t max_keys = kMaxKeysLimit;
  bool url_encoding = false;
};

// Parses the parameters every listing shares; false after answering an error.
bool ParseListParams(S3Context& ctx, const char* max_name, ListParams& p) {
  const http::HttpRequest& r = ctx.request;
  if (const std::string* v = r.Query("prefix")) p.prefix = *v;
  if (const std::string* v = r.Query("delimiter")) p.delimiter = *v;
  if (const std::string* v = r.Query(max_name)) {
    long long n = -1;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < 0) {
      ctx.Error("InvalidArgument", "Provided max-keys not an integer or within integer range");
      return false;
    }
    p.max_keys = std::min<size_t>(static_cast<size_t>(n), kMaxKeysLimit);
  }
  if (const std::string* v = r.Query("encoding-type")) {
    if (*v != "url") {
      ctx.Error("InvalidArgument", "Invalid Encoding Method specified in Request");
      return false;
    }
    p.url_encoding = true;
  }
  return true;
}

// A marker naming a common prefix ("photos/") resumes after every key under
// it: 0xFF never occurs in UTF-8, so prefix+"\xff" sorts after all of them.
std::string ResumeMarker(const std::string& marker, const ListParams& p) {
  if (!p.delimiter.empty() && marker.size() > p.prefix.size() && marker.starts_with(p.prefix) &&
      marker.ends_with(p.delimiter)) {
    return marker + "\xff";
  }
  return marker;
}

std::string Encoded(const ListParams& p, const std::string& value) {
  return p.url_encoding ? http::UriEncode(value, false) : value;
}

Result<store::ListResult> RunListing(S3Context& ctx, const ListParams& p,
                                     const std::string& marker) {
  store::ListRequest request;
  request.prefix = p.prefix;
  request.delimiter = p.delimiter;
  request.marker = ResumeMarker(marker, p);
  request.max_keys = p.max_keys;
  if (p.max_keys == 0) {
    auto info = ctx.store.HeadBucket(ctx.bucket);
    if (!info.ok()) return info.status();
    return store::ListResult{};
  }
  return ctx.store.ListObjects(ctx.bucket, request);
}

void AppendObject(pugi::xml_node parent, const store::ListEntry& entry, const ListParams& p,
                  const S3Context* owner_ctx) {
  auto node = parent.append_child("Contents");
  AddText(node, "Key", Encoded(p, entry.key));
  AddText(node, "LastModified", FormatIso8601(entry.meta.mtime_ns));
  AddText(node, "ETag", QuotedEtag(entry.meta.etag));
  AddText(node, "Size", std::to_string(entry.meta.size));
  AddText(node, "StorageClass", "STANDARD");
  if (owner_ctx != nullptr) AppendObjectOwner(node, *owner_ctx, entry.meta);
}

void AppendCommon(pugi::xml_node root, const ListParams& p,
                  const std::vector<std::string>& common_prefixes) {
  for (const auto& prefix : common_prefixes) {
    AddText(root.append_child("CommonPrefixes"), "Prefix", Encoded(p, prefix));
  }
}

// ListObjectsV2 url-encodes the Prefix it echoes; ListObjects (V1) sends it
// as given, as AWS does and SDKs expect (botocore decodes V1's Marker,
// NextMarker and Delimiter, never its Prefix).
void AppendHeader(pugi::xml_node root, const S3Context& ctx, const ListParams& p,
                  bool encode_prefix) {
  AddText(root, "Name", ctx.bucket);
  AddText(root, "Prefix", encode_prefix ? Encoded(p, p.prefix) : p.prefix);
}

}  // namespace

void ListObjects(S3Context& ctx) {
  ListParams p;
  if (!ParseListParams(ctx, "max-keys", p)) return;
  std::string marker;
  if (const std::string* v = ctx.request.Query("marker")) marker = *v;
  auto result = RunListing(ctx, p, marker);
  if (!result.ok()) return ctx.Error(result.status());

  XmlResponse xml("ListBucketResult");
  auto root = xml.root();
  AppendHeader(root, ctx, p, /*encode_prefix=*/false);
  AddText(root, "Marker", Encoded(p, marker));
  AddText(root, "MaxKeys", std::to_string(p.max_keys));
  if (!p.delimiter.empty()) AddText(root, "Delimiter", Encoded(p, p.delimiter));
  AddText(root, "IsTruncated", result->truncated ? "true" : "false");
  if (result->truncated && !p.delimiter.empty()) {
    AddText(root, "NextMarker", Encoded(p, result->next_marker));
  }
  if (p.url_encoding) AddText(root, "EncodingType", "url");
  for (const auto& entry : result->objects) AppendObject(root, entry, p, &ctx);
  AppendCommon(root, p, result->common_prefixes);
  ctx.SendXml(200, xml);
}

void ListObjectsV2(S3Context& ctx) {
  ListParams p;
  if (!ParseListParams(ctx, "max-keys", p)) return;
  std::string marker;
  std::string start_after;
  const std::string* token = ctx.request.Query("continuation-token");
  if (const std::string* v = ctx.request.Query("start-after")) start_after = *v;
  // An empty token is no token (start-after applies), echoed as sent: AWS's
  // answer, which SDKs that always send the parameter rely on.
  if (token != nullptr && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded) {
      return ctx.Error("InvalidArgument", "The continuation token provided is incorrect");
    }
    marker = *decoded;
  } else {
    marker = start_after;
  }
  bool fetch_owner = false;
  if (const std::string* v = ctx.request.Query("fetch-owner")) fetch_owner = *v == "true";
  auto result = RunListing(ctx, p, marker);
  if (!result.ok()) return ctx.Error(result.status());

  XmlResponse xml("ListBucketResult");
  auto root = xml.root();
  AppendHeader(root, ctx, p, /*encode_prefix=*/true);
  if (token != nullptr) AddText(root, "ContinuationToken", *token);
  if (!start_after.empty()) AddText(root, "StartAfter", Encoded(p, start_after));
  AddText(root, "KeyCount",
          std::to_string(result->objects.size() + result->common_prefixes.size()));
  AddText(root, "MaxKeys", std::to_string(p.max_keys));
  if (!p.delimiter.empty()) AddText(root, "Delimiter", Encoded(p, p.delimiter));
  AddText(root, "IsTruncated", result->truncated ? "true" : "false");
  if (result->truncated) {
    AddText(root, "NextContinuationToken", Base64Encode(result->next_marker));
  }
  if (p.url_encoding) AddText(root, "EncodingType", "url");
  for (const auto& entry : result->objects) {
    AppendObject(root, entry, p, fetch_owner ? &ctx : nullptr);
  }
  AppendCommon(root, p, result->common_prefixes);
  ctx.SendXml(200, xml);
}

// Each key's versions and delete markers newest first; "null" is the only
// version of every object in a bucket that never had versioning.
void ListObjectVersions(S3Context& ctx) {
  ListParams p;
  if (!ParseListParams(ctx, "max-keys", p)) return;
  store::VersionListRequest request;
  request.prefix = p.prefix;
  request.delimiter = p.delimiter;
  request.max_keys = p.max_keys;
  std::string key_marker;
  if (const std::string* v = ctx.request.Query("key-marker")) key_marker = *v;
  if (const std::string* v = ctx.request.Query("version-id-marker")) {
    if (key_marker.empty()) {
      return ctx.Error("InvalidArgument",
                       "A version-id marker cannot be specified without a key marker.",
                       ArgumentDetails("version-id-marker", *v));
    }
    if (!store::IsValidVersionId(*v)) {
      return ctx.Error("InvalidArgument", "Invalid version id specified",
                       ArgumentDetails("version-id-marker", *v));
    }
    request.version_id_marker = *v;
  }
  request.key_marker = request.version_id_marker.empty() ? ResumeMarker(key_marker, p) : key_marker;
  auto result = ctx.store.ListObjectVersions(ctx.bucket, request);
  if (!result.ok()) return ctx.Error(result.status());

  XmlResponse xml("ListVersionsResult");
  auto root = xml.root();
  AppendHeader(root, ctx, p, /*encode_prefix=*/true);
  AddText(root, "KeyMarker", Encoded(p, key_marker));
  AddText(root, "VersionIdMarker", request.version_id_marker);
  AddText(root, "MaxKeys", std::to_string(p.max_keys));
  if (!p.delimiter.empty()) AddText(root, "Delimiter", Encoded(p, p.delimiter));
  AddText(root, "IsTruncated", result->truncated ? "true" : "false");
  if (result->truncated) {
    AddText(root, "NextKeyMarker", Encoded(p, result->next_key_marker));
    AddText(root, "NextVersionIdMarker", result->next_version_id_marker);
  }
  if (p.url_encoding) AddText(root, "EncodingType", "url");
  for (const auto& entry : result->versions) {
    auto node = root.append_child(entry.delete_marker ? "DeleteMarker" : "Version");
    AddText(node, "Key", Encoded(p, entry.key));
    AddText(node, "VersionId", entry.meta.version_id);
    AddText(node, "IsLatest", entry.is_latest ? "true" : "false");
    AddText(node, "LastModified", FormatIso8601(entry.meta.mtime_ns));
    if (!entry.delete_marker) {
      AddText(node, "ETag", QuotedEtag(entry.meta.etag));
      AddText(node, "Size", std::to_string(entry.meta.size));
      AddText(node, "StorageClass", "STANDARD");
    }
    AppendObjectOwner(node, ctx, entry.meta);
  }
  AppendCommon(root, p, result->common_prefixes);
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
