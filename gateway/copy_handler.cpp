#include <optional>
#include <vector>

#include "base/hash.h"
#include "gateway/bucket_access.h"
#include "gateway/checksum_fields.h"
#include "gateway/conditions.h"
#include "gateway/object_headers.h"
#include "gateway/object_tags.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"
#include "http/url.h"
#include "store/multipart_checksums.h"
#include "store/s3_errors.h"
#include "store/version_id.h"

namespace fsgate::gateway {
namespace {

// x-amz-metadata-directive or x-amz-tagging-directive: COPY (the default) or
// REPLACE; false after answering InvalidArgument.
bool ReadDirective(S3Context& ctx, const char* header, std::string_view what, bool& replace) {
  const std::string* d = ctx.request.Header(header);
  if (d != nullptr && *d != "COPY" && *d != "REPLACE") {
    ctx.Error("InvalidArgument", "Unknown " + std::string(what) + " directive.");
    return false;
  }
  replace = d != nullptr && *d == "REPLACE";
  return true;
}

// A failed read of a copy's source. AWS refuses a source version id that
// names a delete marker as InvalidRequest (a GET of it is 405).
Status CopySourceError(const CopySource& source, Status s) {
  if (source.version_id.empty() || !s.Is(s3err::kMethodNotAllowed)) return s;
  return S3Error(s3err::kInvalidRequest,
                 "The source of a copy request may not specifically refer to a delete marker by "
                 "version id.");
}

// x-amz-copy-source-version-id: the source version a copy read, named or
// the latest, when it has an id (a version made in a versioned bucket).
http::Headers CopySourceVersionHeader(const CopySource& source, const std::string& read) {
  const std::string& id = source.version_id.empty() ? read : source.version_id;
  if (id.empty()) return {};
  return {{"x-amz-copy-source-version-id", id}};
}

}  // namespace

bool ParseCopySource(S3Context& ctx, CopySource& source) {
  const std::string* header = ctx.request.Header("x-amz-copy-source");
  std::string_view raw = *header;
  auto query = raw.find('?');
  if (query != std::string_view::npos) {
    std::string_view q = raw.substr(query + 1);
    constexpr std::string_view kVersionParam = "versionId=";
    if (!q.starts_with(kVersionParam) || !store::IsValidVersionId(q.substr(kVersionParam.size()))) {
      ctx.Error("InvalidArgument", "Invalid version id specified");
      return false;
    }
    source.version_id = std::string(q.substr(kVersionParam.size()));
    raw = raw.substr(0, query);
  }
  std::string decoded = http::PercentDecode(raw);
  std::string_view path = decoded;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    ctx.Error("InvalidArgument",
              "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    return false;
  }
  source.bucket = std::string(path.substr(0, slash));
  source.key = std::string(path.substr(slash + 1));
  return true;
}

void CopyObject(S3Context& ctx) {
  CopySource source;
  if (!ParseCopySource(ctx, source)) return;
  store::CopyRequest copy;
  copy.src_bucket = source.bucket;
  copy.src_key = source.key;
  copy.src_version_id = source.version_id;
  copy.dst_bucket = ctx.bucket;
  copy.dst_key = ctx.key;
  if (!ReadDirective(ctx, "x-amz-metadata-directive", "metadata", copy.replace_metadata)) return;
  if (Status s = CheckStorageClass(ctx.request); !s.ok()) return ctx.Error(s);
  if (copy.replace_metadata) {
    if (Status s = MetaFromRequest(ctx.request, copy.new_meta); !s.ok()) return ctx.Error(s);
  }
  if (!ReadDirective(ctx, "x-amz-tagging-directive", "tagging", copy.replace_tags)) return;
  if (copy.replace_tags) {
    if (Status s = TagsFromRequest(ctx.request, copy.new_tags); !s.ok()) return ctx.Error(s);
  }
  if (!NewObjectAcl(ctx, copy.acl)) return;
  if (!ObjectLockFromRequest(ctx, copy.lock)) return;
  auto checksum = ChecksumModeFromRequest(ctx.request);
  if (!checksum.ok()) return ctx.Error(checksum.status());
  copy.checksum_algorithm = checksum->algorithm;
  const http::HttpRequest& request = ctx.request;
  std::string source_version;
  copy.check_source = [&request, &source_version](const store::ObjectMeta& meta) {
    source_version = meta.version_id;
    std::string failed = EvaluateCopySourceConditions(request, meta);
    return failed.empty()
               ? Status::Ok()
               : S3Error(failed, "At least one of the pre-conditions you specified did not hold");
  };
  auto conditions = WriteConditionsFrom(ctx.request);
  if (!conditions.ok()) return ctx.Error(conditions.status());
  copy.conditions = std::move(*conditions);
  copy.sync_dirops = ctx.SyncDiropsRequested();
  auto result = ctx.store.CopyObject(copy);
  if (!result.ok()) return ctx.Error(CopySourceError(source, result.status()));
  XmlResponse xml("CopyObjectResult");
  AddText(xml.root(), "LastModified", FormatIso8601(result->mtime_ns));
  AddText(xml.root(), "ETag", QuotedEtag(result->etag));
  if (!result->checksums.empty()) {
    AddText(xml.root(), "ChecksumType", store::kChecksumFullObject);  // a copy has no parts
    AppendChecksumElements(xml.root(), result->checksums);
  }
  http::Headers extra = CopySourceVersionHeader(source, source_version);
  AppendWrittenVersionHeader(*result, extra);
  ctx.SendXml(200, xml, std::move(extra));
}

// UploadPartCopy: the part's bytes come from (a range of) an existing object.
void UploadPartCopy(S3Context& ctx) {
  CopySource source;
  if (!ParseCopySource(ctx, source)) return;
  int part_number = 0;
  if (!ParsePartNumber(ctx, part_number)) return;
  auto reader = source.version_id.empty()
                    ? ctx.store.GetObject(source.bucket, source.key)
                    : ctx.store.GetObjectVersion(source.bucket, source.key, source.version_id);
  if (!reader.ok()) return ctx.Error(CopySourceError(source, reader.status()));
  const store::ObjectMeta& meta = (*reader)->meta();
  if (std::string failed = EvaluateCopySourceConditions(ctx.request, meta); !failed.empty()) {
    return ctx.Error(failed);
  }
  ByteRange range{0, meta.size == 0 ? 0 : meta.size - 1};
  uint64_t length = meta.size;
  if (const std::string* r = ctx.request.Header("x-amz-copy-source-range")) {
    auto parsed = ParseCopySourceRange(*r);
    if (!parsed) {
      return ctx.Error("InvalidArgument",
                       "The x-amz-copy-source-range value must be of the form "
                       "bytes=first-last where first and last are the "
                       "zero-based offsets of the first and last bytes to copy");
    }
    // Unlike a GET's Range, the last byte must be in the source: no clamping.
    if (parsed->last >= meta.size) {
      return ctx.Error("InvalidRange", "Range specified is not valid for source object of size: " +
                                           std::to_string(meta.size));
    }
    range = *parsed;
    length = range.last - range.first + 1;
  }
  const std::string& upload_id = *ctx.request.Query("uploadId");
  auto upload = ctx.store.HeadUpload(ctx.bucket, ctx.key, upload_id);
  if (!upload.ok()) return ctx.Error(upload.status());
  // The part's checksum, as UploadPart computes it, for an upload with an algorithm.
  std::optional<Hasher> checksum;
  if (auto algorithm = ChecksumAlgorithmFromName(upload->checksum_algorithm)) {
    checksum.emplace(*algorithm);
  }
  auto writer = ctx.store.BeginUploadPart(ctx.bucket, ctx.key, upload_id, part_number);
  if (!writer.ok()) return ctx.Error(writer.status());
  std::vector<char> buf(256 * 1024);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    auto n = (*reader)->Read(range.first + done, std::span(buf.data(), want));
    if (!n.ok()) return ctx.Error(n.status());
    if (*n == 0) return ctx.Error("InternalError");
    if (Status s = (*writer)->Write(std::span<const char>(buf.data(), *n)); !s.ok()) {
      return ctx.Error(s);
    }
    if (checksum) checksum->Update(std::string_view(buf.data(), *n));
    done += *n;
  }
  store::ObjectMeta part_meta;
  if (checksum) {
    part_meta.checksums = {{upload->checksum_algorithm, Base64Encode(checksum->Finish())}};
  }
  auto part = (*writer)->Commit(std::move(part_meta));
  if (!part.ok()) return ctx.Error(part.status());
  XmlResponse xml("CopyPartResult");
  AddText(xml.root(), "LastModified", FormatIso8601(part->mtime_ns));
  AddText(xml.root(), "ETag", QuotedEtag(part->etag));
  AppendChecksumElements(xml.root(), part->checksums);
  ctx.SendXml(200, xml, CopySourceVersionHeader(source, meta.version_id));
}

}  // namespace fsgate::gateway
