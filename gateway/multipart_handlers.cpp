#include <algorithm>
#include <charconv>

#include "base/hash.h"
#include "gateway/bucket_access.h"
#include "gateway/checksum_fields.h"
#include "gateway/object_headers.h"
#include "gateway/object_tags.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

constexpr size_t kMaxListParts = 1000;

bool ParseInt(const std::string& text, long long& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

const std::string& UploadId(const S3Context& ctx) { return *ctx.request.Query("uploadId"); }

// The Initiator is who began the upload; the Owner, who will own the object
// it makes (the initiator too when it writes into another's bucket, under
// ObjectWriter). An upload begun anonymously, or by an fsgate that kept no
// initiator, shows the bucket's owner, whose the object will be.
void AppendInitiatorAndOwner(pugi::xml_node node, const S3Context& ctx,
                             const store::UploadInfo& upload) {
  AppendOwnerId(node, upload.initiator.empty() ? OwnerId(ctx) : upload.initiator, "Initiator");
  store::ObjectMeta object;
  object.acl = upload.acl;
  AppendObjectOwner(node, ctx, object);
}

}  // namespace

bool ParsePartNumber(S3Context& ctx, int& part_number) {
  long long n = 0;
  const std::string* v = ctx.request.Query("partNumber");
  if (v == nullptr || !ParseInt(*v, n) || n < 1 || n > kMaxPartNumber) {
    ctx.Error(
        "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
        ArgumentDetails("partNumber", v != nullptr ? std::string_view(*v) : std::string_view()));
    return false;
  }
  part_number = static_cast<int>(n);
  return true;
}

void CreateMultipartUpload(S3Context& ctx) {
  store::PutRequest put;
  put.bucket = ctx.bucket;
  put.key = ctx.key;
  if (Status s = MetaFromRequest(ctx.request, put.meta); !s.ok()) return ctx.Error(s);
  if (Status s = TagsFromRequest(ctx.request, put.meta.tags); !s.ok()) return ctx.Error(s);
  if (!NewObjectAcl(ctx, put.meta.acl)) return;
  if (!ObjectLockFromRequest(ctx, put.meta.lock)) return;
  auto mode = ChecksumModeFromRequest(ctx.request);
  if (!mode.ok()) return ctx.Error(mode.status());
  put.checksum_algorithm = mode->algorithm;
  put.meta.checksum_type = mode->type;
  put.sync_dirops = ctx.SyncDiropsRequested();
  if (ctx.user != nullptr) put.initiator = ctx.user->user;
  auto upload_id = ctx.store.CreateMultipartUpload(put);
  if (!upload_id.ok()) return ctx.Error(upload_id.status());
  XmlResponse xml("InitiateMultipartUploadResult");
  AddText(xml.root(), "Bucket", ctx.bucket);
  AddText(xml.root(), "Key", ctx.key);
  AddText(xml.root(), "UploadId", *upload_id);
  http::Headers extra;
  if (!mode->algorithm.empty()) {
    extra = {{"x-amz-checksum-algorithm", mode->algorithm}, {"x-amz-checksum-type", mode->type}};
  }
  ctx.SendXml(200, xml, std::move(extra));
}

void UploadPart(S3Context& ctx) {
  int part_number = 0;
  if (!ParsePartNumber(ctx, part_number)) return;
  if (!LimitObjectPayload(ctx)) return;
  auto upload = ctx.store.HeadUpload(ctx.bucket, ctx.key, UploadId(ctx));
  if (!upload.ok()) return ctx.Error(upload.status());
  // Every part of an upload with a checksum algorithm has its checksum: the
  // client's, verified, or computed here when it sent none.
  if (auto algorithm = ChecksumAlgorithmFromName(upload->checksum_algorithm)) {
    if (Status s = ctx.payload.ExpectChecksum(*algorithm); !s.ok()) return ctx.Error(s);
  }
  auto writer = ctx.store.BeginUploadPart(ctx.bucket, ctx.key, UploadId(ctx), part_number);
  if (!writer.ok()) return ctx.Error(writer.status());
  auto part = StreamIntoWriter(ctx, **writer, {});
  if (!part.ok()) return ObjectPayloadError(ctx, part.status());
  http::Headers extra = {{"ETag", QuotedEtag(part->etag)}};
  AppendChecksumHeaders(*part, extra);
  ctx.SendEmpty(200, std::move(extra));
}

void CompleteMultipartUpload(S3Context& ctx) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) return ctx.Error(body.status());
  auto parts = ParseCompleteMultipartUpload(*body);
  if (!parts) return ctx.Error("MalformedXML");
  auto claims = CompleteClaimsFromRequest(ctx.request);
  if (!claims.ok()) return ctx.Error(claims.status());
  auto conditions = WriteConditionsFrom(ctx.request);
  if (!conditions.ok()) return ctx.Error(conditions.status());
  auto meta = ctx.store.CompleteMultipartUpload(ctx.bucket, ctx.key, UploadId(ctx), *parts,
                                                *conditions, *claims);
  if (!meta.ok()) return ctx.Error(meta.status());
  XmlResponse xml("CompleteMultipartUploadResult");
  AddText(xml.root(), "Location", ctx.Resource());
  AddText(xml.root(), "Bucket", ctx.bucket);
  AddText(xml.root(), "Key", ctx.key);
  AddText(xml.root(), "ETag", QuotedEtag(meta->etag));
  AppendChecksumElements(xml.root(), meta->checksums);
  if (!meta->checksums.empty()) AddText(xml.root(), "ChecksumType", meta->checksum_type);
  http::Headers extra;
  AppendWrittenVersionHeader(*meta, extra);
  ctx.SendXml(200, xml, std::move(extra));
}

void AbortMultipartUpload(S3Context& ctx) {
  Status s = ctx.store.AbortMultipartUpload(ctx.bucket, ctx.key, UploadId(ctx));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void ListParts(S3Context& ctx) {
  long long marker = 0;
  long long max_parts = kMaxListParts;
  if (const std::string* v = ctx.request.Query("part-number-marker")) {
    if (!ParseInt(*v, marker) || marker < 0) {
      return ctx.Error("InvalidArgument", "Argument part-number-marker must be an integer");
    }
  }
  if (const std::string* v = ctx.request.Query("max-parts")) {
    if (!ParseInt(*v, max_parts) || max_parts < 0) {
      return ctx.Error("InvalidArgument", "Argument max-parts must be an integer");
    }
    max_parts = std::min<long long>(max_parts, kMaxListParts);
  }
  auto upload = ctx.store.HeadUpload(ctx.bucket, ctx.key, UploadId(ctx));
  if (!upload.ok()) return ctx.Error(upload.status());
  auto parts = ctx.store.ListParts(ctx.bucket, ctx.key, UploadId(ctx));
  if (!parts.ok()) return ctx.Error(parts.status());
  std::sort(parts->begin(), parts->end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });

  XmlResponse xml("ListPartsResult");
  auto root = xml.root();
  AddText(root, "Bucket", ctx.bucket);
  AddText(root, "Key", ctx.key);
  AddText(root, "UploadId", UploadId(ctx));
  AppendInitiatorAndOwner(root, ctx, *upload);
  AddText(root, "StorageClass", "STANDARD");
  AddText(root, "PartNumberMarker", std::to_string(marker));
  std::vector<const store::PartInfo*> page;
  bool truncated = false;
  for (const auto& part : *parts) {
    if (part.number <= marker) continue;
    if (static_cast<long long>(page.size()) == max_parts) {
      truncated = true;
      break;
    }
    page.push_back(&part);
  }
  if (!page.empty()) AddText(root, "NextPartNumberMarker", std::to_string(page.back()->number));
  AddText(root, "MaxParts", std::to_string(max_parts));
  AddText(root, "IsTruncated", truncated ? "true" : "false");
  for (const auto* part : page) {
    auto node = root.append_child("Part");
    AddText(node, "PartNumber", std::to_string(part->number));
    AddText(node, "LastModified", FormatIso8601(part->mtime_ns));
    AddText(node, "ETag", QuotedEtag(part->etag));
    AddText(node, "Size", std::to_string(part->size));
    AppendChecksumElements(node, part->checksums);
  }
  if (!upload->checksum_algorithm.empty()) {
    AddText(root, "ChecksumAlgorithm", upload->checksum_algorithm);
    AddText(root, "ChecksumType", upload->checksum_type);
  }
  ctx.SendXml(200, xml);
}

void ListMultipartUploads(S3Context& ctx) {
  auto uploads = ctx.store.ListMultipartUploads(ctx.bucket);
  if (!uploads.ok()) return ctx.Error(uploads.status());
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;
  std::string delimiter;
  long long max_uploads = 1000;
  if (const std::string* v = ctx.request.Query("prefix")) prefix = *v;
  if (const std::string* v = ctx.request.Query("delimiter")) delimiter = *v;
  if (const std::string* v = ctx.request.Query("key-marker")) key_marker = *v;
  if (const std::string* v = ctx.request.Query("upload-id-marker")) upload_id_marker = *v;
  if (const std::string* v = ctx.request.Query("max-uploads")) {
    if (!ParseInt(*v, max_uploads) || max_uploads < 0) {
      return ctx.Error("InvalidArgument", "Argument max-uploads must be an integer");
    }
    max_uploads = std::min<long long>(max_uploads, 1000);
  }
  std::sort(uploads->begin(), uploads->end(), [](const auto& a, const auto& b) {
    return std::tie(a.key, a.initiated_ns, a.upload_id) <
           std::tie(b.key, b.initiated_ns, b.upload_id);
  });

  XmlResponse xml("ListMultipartUploadsResult");
  auto root = xml.root();
  AddText(root, "Bucket", ctx.bucket);
  AddText(root, "KeyMarker", key_marker);
  AddText(root, "UploadIdMarker", upload_id_marker);
  AddText(root, "Prefix", prefix);
  std::vector<const store::UploadInfo*> page;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  for (const auto& upload : *uploads) {
    if (!upload.key.starts_with(prefix)) continue;
    if (!delimiter.empty()) {
      auto cut = upload.key.find(delimiter, prefix.size());
      if (cut != std::string::npos) {
        std::string common = upload.key.substr(0, cut + delimiter.size());
        if (common_prefixes.empty() || common_prefixes.back() != common) {
          common_prefixes.push_back(std::move(common));
        }
        continue;
      }
    }
    if (!key_marker.empty()) {
      if (upload.key < key_marker) continue;
      if (upload.key == key_marker &&
          (upload_id_marker.empty() || upload.upload_id <= upload_id_marker)) {
        continue;
      }
    }
    if (static_cast<long long>(page.size()) == max_uploads) {
      truncated = true;
      break;
    }
    page.push_back(&upload);
  }
  if (truncated && !page.empty()) {
    AddText(root, "NextKeyMarker", page.back()->key);
    AddText(root, "NextUploadIdMarker", page.back()->upload_id);
  }
  if (!delimiter.empty()) AddText(root, "Delimiter", delimiter);
  AddText(root, "MaxUploads", std::to_string(max_uploads));
  AddText(root, "IsTruncated", truncated ? "true" : "false");
  for (const auto* upload : page) {
    auto node = root.append_child("Upload");
    AddText(node, "Key", upload->key);
    AddText(node, "UploadId", upload->upload_id);
    AppendInitiatorAndOwner(node, ctx, *upload);
    AddText(node, "StorageClass", "STANDARD");
    AddText(node, "Initiated", FormatIso8601(upload->initiated_ns));
  }
  for (const auto& common : common_prefixes) {
    AddText(root.append_child("CommonPrefixes"), "Prefix", common);
  }
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
