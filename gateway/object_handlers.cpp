#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "base/hash.h"
#include "gateway/authorize.h"
#include "gateway/bucket_access.h"
#include "gateway/conditions.h"
#include "gateway/object_headers.h"
#include "gateway/object_tags.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_error.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"
#include "store/s3_errors.h"
#include "store/version_id.h"

namespace fsgate::gateway {
namespace {

constexpr size_t kIoChunk = 256 * 1024;
constexpr size_t kSmallResponse = 64 * 1024;  // answered in one write

// The response-* query parameters that override stored headers on GET.
constexpr std::pair<const char*, const char*> kResponseOverrides[] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

// The response-* overrides of a GET/HEAD, checked before anything is read:
// honoured only on signed requests (AWS: InvalidRequest for anonymous ones),
// and refused when a value could not be a header value. False after answering.
bool CheckResponseOverrides(S3Context& ctx) {
  for (const auto& [query, header] : kResponseOverrides) {
    const std::string* v = ctx.request.Query(query);
    if (v == nullptr) continue;
    if (ctx.user == nullptr) {
      ctx.Error("InvalidRequest",
                "Request specific response headers cannot be used for anonymous GET requests.");
      return false;
    }
    if (!http::IsValidHeaderValue(*v)) {
      ctx.Error("InvalidArgument", "Header value cannot contain control characters.",
                ArgumentDetails(query, *v));
      return false;
    }
  }
  return true;
}

// `whole_object_checksums`: the body is the whole object, so its stored
// checksums describe it. A Range or a part of a multipart object carries
// none: SDKs validate any x-amz-checksum-* they get against the body.
http::Headers ObjectResponseHeaders(const S3Context& ctx, const store::ObjectMeta& meta,
                                    bool whole_object_checksums) {
  http::Headers headers = ctx.BaseHeaders();
  const std::string* mode = ctx.request.Header("x-amz-checksum-mode");
  AppendMetaHeaders(meta, whole_object_checksums && mode != nullptr && *mode == "ENABLED", headers);
  AppendVersionHeader(meta, headers);
  AppendObjectLockHeaders(meta, headers);
  if (meta.parts_count > 0 && ctx.request.HasQuery("partNumber")) {
    headers.emplace_back("x-amz-mp-parts-count", std::to_string(meta.parts_count));
  }
  for (const auto& [query, header] : kResponseOverrides) {
    if (const std::string* v = ctx.request.Query(query)) headers.Set(header, *v);
  }
  return headers;
}

// Where part `part_number` lies in the object (GET ?partNumber=N). A
// single-part object is its own part 1.
struct PartBytes {
  enum { kFound, kNoSuchPart, kUnrecorded } result = kFound;
  uint64_t first = 0;
  uint64_t length = 0;
};

PartBytes FindPart(const store::ObjectMeta& meta, int part_number) {
  const auto n = static_cast<size_t>(part_number);
  if (meta.parts_count == 0 || (meta.parts_count == 1 && meta.part_sizes.empty())) {
    if (n != 1) return {PartBytes::kNoSuchPart};
    return {PartBytes::kFound, 0, meta.size};
  }
  if (n > static_cast<size_t>(meta.parts_count)) return {PartBytes::kNoSuchPart};
  // Completed before fsgate recorded part sizes: the bounds are not known.
  if (meta.part_sizes.size() != static_cast<size_t>(meta.parts_count)) {
    return {PartBytes::kUnrecorded};
  }
  uint64_t first = 0;
  for (size_t i = 0; i + 1 < n; ++i) first += meta.part_sizes[i];
  return {PartBytes::kFound, first, meta.part_sizes[n - 1]};
}

// The metadata GET/HEAD ?partNumber=N shows: the object's, with the part's
// checksum for the object's (none when the part checksums were not recorded).
store::ObjectMeta PartMeta(const store::ObjectMeta& meta, int part_number) {
  store::ObjectMeta part = meta;
  if (meta.parts_count == 0) return part;
  part.checksums.clear();
  const auto n = static_cast<size_t>(part_number);
  if (meta.checksums.size() == 1 && n <= meta.part_checksums.size()) {
    part.checksums = {{meta.checksums[0].first, meta.part_checksums[n - 1]}};
  }
  return part;
}

// Streams [first, first+length) of the object into the response.
void SendObjectBody(S3Context& ctx, store::ObjectReader& reader, int status, http::Headers headers,
                    uint64_t first, uint64_t length) {
  ctx.status = status;
  if (ctx.request.method == "HEAD") {
    (void)ctx.response.Begin(status, std::move(headers), length);
    return;
  }
  if (length <= kSmallResponse) {
    // This thread's buffer, grown to its largest small answer and never
    // zeroed again (Send writes it out before returning): a string per GET
    // was a malloc, a memset and a free of the whole body.
    thread_local std::string buffer;
    if (buffer.size() < length) buffer.resize(length);
    char* body = buffer.data();
    uint64_t done = 0;
    while (done < length) {
      auto n = reader.Read(first + done, std::span(body + done, length - done));
      if (!n.ok()) return ctx.Error(n.status());
      if (*n == 0) break;
      done += *n;
    }
    if (done != length) return ctx.Error("InternalError");
    ctx.bytes_out += length;
    ctx.response.Send(status, std::move(headers), std::string_view(body, length));
    return;
  }
  if (!ctx.response.Begin(status, std::move(headers), length).ok()) return;
  std::vector<char> buf(kIoChunk);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    auto n = reader.Read(first + done, std::span(buf.data(), want));
    // Headers are out: a failure now can only cut the connection short.
    if (!n.ok() || *n == 0) return;
    if (!ctx.response.Write(std::string_view(buf.data(), *n)).ok()) return;
    done += *n;
    ctx.bytes_out += *n;
  }
}

void GetOrHead(S3Context& ctx) {
  int part_number = 0;
  const std::string* range_header = ctx.request.Header("range");
  if (ctx.request.HasQuery("partNumber")) {
    if (!ParsePartNumber(ctx, part_number)) return;
    if (range_header != nullptr) {
      return ctx.Error("InvalidRequest",
                       "Cannot specify both Range header and partNumber query parameter");
    }
  }
  if (!CheckResponseOverrides(ctx)) return;
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  auto reader = ReadObjectVersion(ctx, version_id);
  if (!reader.ok()) return ErrorOfVersionRead(ctx, reader.status(), version_id);
  const store::ObjectMeta& meta = (*reader)->meta();
  if (std::string failed = EvaluateReadConditions(ctx.request, meta); !failed.empty()) {
    if (failed == "NotModified") {
      http::Headers headers = ctx.BaseHeaders();
      headers.emplace_back("ETag", QuotedEtag(meta.etag));
      ctx.status = 304;
      ctx.response.Send(304, std::move(headers), "");
      return;
    }
    return ctx.Error(failed);
  }
  ByteRange range;
  RangeResult rr = RangeResult::kNone;
  if (part_number > 0) {
    const PartBytes part = FindPart(meta, part_number);
    if (part.result == PartBytes::kNoSuchPart) return ctx.Error("InvalidPartNumber");
    if (part.result == PartBytes::kUnrecorded) {
      return ctx.Error("NotImplemented",
                       "The part sizes of this multipart object were not recorded when it was "
                       "completed (by an older fsgate); read it with a Range request instead.");
    }
    // An empty part has no byte a Content-Range could name: 200 with no body.
    if (part.length == 0) {
      return SendObjectBody(ctx, **reader, 200, ObjectResponseHeaders(ctx, meta, meta.size == 0), 0,
                            0);
    }
    range = {part.first, part.first + part.length - 1};
    rr = RangeResult::kSatisfiable;
  } else if (range_header != nullptr) {
    rr = ParseRange(*range_header, meta.size, range);
  }
  if (rr == RangeResult::kUnsatisfiable) {
    ctx.error_code = "InvalidRange";
    ctx.status = 416;
    http::Headers error_headers = ctx.BaseHeaders();
    error_headers.emplace_back("Content-Range", "bytes */" + std::to_string(meta.size));
    std::string body;
    if (ctx.request.method != "HEAD") {
      body = ErrorXmlFor(ctx, "InvalidRange");
      error_headers.emplace_back("Content-Type", "application/xml");
    }
    ctx.response.Send(416, std::move(error_headers), body);
    return;
  }
  // Part 1 of a single-part object is the whole object, and its checksums
  // hold; a part of a multipart object has its own, when they were recorded.
  // A part's own view only where one is asked for: a copy of the whole record
  // was 2 of a GET's 61 allocations.
  std::optional<store::ObjectMeta> part_meta;
  if (part_number > 0) part_meta = PartMeta(meta, part_number);
  const store::ObjectMeta& shown = part_meta ? *part_meta : meta;
  const bool whole_object = rr == RangeResult::kNone || part_number > 0;
  http::Headers headers = ObjectResponseHeaders(ctx, shown, whole_object);
  if (rr == RangeResult::kSatisfiable) {
    headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                              std::to_string(range.last) + "/" +
                                              std::to_string(meta.size));
    return SendObjectBody(ctx, **reader, 206, std::move(headers), range.first,
                          range.last - range.first + 1);
  }
  SendObjectBody(ctx, **reader, 200, std::move(headers), 0, meta.size);
}

}  // namespace

std::string ErrorXmlFor(const S3Context& ctx, std::string_view code) {
  return ErrorXml(code, DefaultErrorMessage(code), ctx.Resource(), ctx.request_id);
}

Status ReadContentMd5(const http::HttpRequest& request, std::optional<std::string>& md5) {
  const std::string* header = request.Header("content-md5");
  if (header == nullptr) return Status::Ok();
  auto raw = Base64Decode(*header);
  if (!raw || raw->size() != 16) {
    return S3Error(s3err::kInvalidDigest, "The Content-MD5 you specified is not valid.");
  }
  md5 = std::move(*raw);
  return Status::Ok();
}

Result<store::ObjectMeta> StreamIntoWriter(S3Context& ctx, store::ObjectWriter& writer,
                                           store::ObjectMeta meta) {
  std::optional<std::string> content_md5;
  if (Status s = ReadContentMd5(ctx.request, content_md5); !s.ok()) return s;
  // Sized to the body when it is small (zeroing 256 KiB per 4 KiB PUT was 3 %
  // of the server's CPU at 32 connections), and not zeroed at all: every byte
  // handed on was read into it first. One byte more reads the end.
  const uint64_t declared = ctx.payload.declared_length().value_or(kIoChunk);
  const auto size = static_cast<size_t>(std::min<uint64_t>(kIoChunk, declared + 1));
  const std::unique_ptr<char[]> storage = std::make_unique_for_overwrite<char[]>(size);
  const std::span<char> buf(storage.get(), size);
  for (;;) {
    auto n = ctx.payload.Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    if (Status s = writer.Write(buf.first(*n)); !s.ok()) return s;
  }
  if (content_md5 && writer.Md5() != *content_md5) {
    return S3Error(s3err::kBadDigest,
                   "The Content-MD5 you specified did not match what we received.");
  }
  if (auto checksum = ctx.payload.checksum()) meta.checksums.push_back(*checksum);
  return writer.Commit(std::move(meta));
}

bool LimitObjectPayload(S3Context& ctx) {
  auto declared = ctx.payload.declared_length();
  if (!declared && ctx.request.Header("transfer-encoding") == nullptr) {
    ctx.Error("MissingContentLength");
    return false;
  }
  if (Status s = ctx.payload.LimitToObjectSize(); !s.ok()) {
    ObjectPayloadError(ctx, s);
    return false;
  }
  return true;
}

void ObjectPayloadError(S3Context& ctx, const Status& s) {
  if (!s.Is(s3err::kEntityTooLarge)) return ctx.Error(s);
  // As AWS: the size asked for (declared, or what a stream had sent when it
  // was cut) and the limit.
  const uint64_t proposed = ctx.payload.declared_length().value_or(ctx.payload.bytes_read());
  ctx.Error(s.reason(), s.message(),
            {{"ProposedSize", std::to_string(proposed)},
             {"MaxSizeAllowed", std::to_string(ctx.payload.max_object_size())}});
}

void PutObject(S3Context& ctx) {
  if (!LimitObjectPayload(ctx)) return;
  auto declared = ctx.payload.declared_length();
  store::PutRequest put;
  put.bucket = ctx.bucket;
  put.key = ctx.key;
  if (Status s = MetaFromRequest(ctx.request, put.meta); !s.ok()) return ctx.Error(s);
  if (Status s = TagsFromRequest(ctx.request, put.meta.tags); !s.ok()) return ctx.Error(s);
  if (!NewObjectAcl(ctx, put.meta.acl)) return;
  if (!ObjectLockFromRequest(ctx, put.meta.lock)) return;
  auto conditions = WriteConditionsFrom(ctx.request);
  if (!conditions.ok()) return ctx.Error(conditions.status());
  put.conditions = std::move(*conditions);
  put.sync_dirops = ctx.SyncDiropsRequested();
  put.expected_size = declared ? static_cast<int64_t>(*declared) : -1;
  put.bucket_found = ctx.bucket_found;
  store::ObjectMeta meta = put.meta;
  auto writer = ctx.store.BeginPut(std::move(put));
  if (!writer.ok()) return ctx.Error(writer.status());
  auto committed = StreamIntoWriter(ctx, **writer, std::move(meta));
  if (!committed.ok()) return ObjectPayloadError(ctx, committed.status());
  http::Headers extra = {{"ETag", QuotedEtag(committed->etag)}};
  AppendChecksumHeaders(*committed, extra);
  // As AWS answers it: a PutObject's checksum is of the whole object.
  if (!committed->checksums.empty()) extra.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
  AppendWrittenVersionHeader(*committed, extra);
  ctx.SendEmpty(200, std::move(extra));
}

void GetObject(S3Context& ctx) { GetOrHead(ctx); }
void HeadObject(S3Context& ctx) { GetOrHead(ctx); }

namespace {

// DeleteObject, or one key of DeleteObjects, in a bucket that has versions,
// by version id, or conditional.
Result<store::DeletedVersion> DeleteOneVersion(S3Context& ctx, const std::string& key,
                                               const std::string& version_id,
                                               const store::DeleteConditions& conditions) {
  if (Status s = CheckVersionRemovable(ctx, key, version_id); !s.ok()) return s;
  if (conditions.Any()) {
    return ctx.store.DeleteObjectIf(ctx.bucket, key, version_id, conditions,
                                    ctx.SyncDiropsRequested());
  }
  return ctx.store.DeleteObjectVersion(ctx.bucket, key, version_id, ctx.SyncDiropsRequested());
}

}  // namespace

void DeleteObject(S3Context& ctx) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  store::DeleteConditions conditions;
  if (Status s = DeleteConditionsFrom(ctx.request, conditions); !s.ok()) return ctx.Error(s);
  if (version_id.empty() && !conditions.Any() && !BucketHasVersions(ctx)) {
    Status s =
        ctx.store.DeleteObject(ctx.bucket, ctx.key, ctx.SyncDiropsRequested(), ctx.bucket_found);
    if (!s.ok()) return ctx.Error(s);
    return ctx.SendEmpty(204);
  }
  auto deleted = DeleteOneVersion(ctx, ctx.key, version_id, conditions);
  if (!deleted.ok()) return ctx.Error(deleted.status());
  http::Headers extra;
  if (deleted->delete_marker) extra.emplace_back("x-amz-delete-marker", "true");
  if (!deleted->version_id.empty()) extra.emplace_back("x-amz-version-id", deleted->version_id);
  ctx.SendEmpty(204, std::move(extra));
}

void DeleteObjects(S3Context& ctx) {
  auto body = ReadXmlBody(ctx, /*integrity_required=*/true);
  if (!body.ok()) return ctx.Error(body.status());
  auto request = ParseDeleteObjects(*body);
  if (!request) return ctx.Error("MalformedXML");
  const bool quiet = request->quiet;
  const std::vector<std::string>& keys = request->keys;
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());

  XmlResponse xml("DeleteResult");
  // A key the caller may not delete gets its AccessDenied entry here.
  std::vector<bool> denied(keys.size());
  std::vector<std::string> allowed;
  for (size_t i = 0; i < keys.size(); ++i) {
    denied[i] = !MayDeleteKey(ctx, keys[i], !request->version_ids[i].empty());
    if (!denied[i]) allowed.push_back(keys[i]);
  }
  // One store call for the whole batch: async unlinks share one journal sync.
  // An empty or invalid key gets its InvalidArgument entry from the store.
  // With versions or conditions, one call per key: each answers what it
  // removed or made.
  const bool versioned =
      BucketHasVersions(ctx) || request->has_version_ids || request->has_conditions;
  std::vector<Status> results;
  std::vector<store::DeletedVersion> deleted(keys.size());
  if (versioned) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (denied[i]) continue;
      const std::string& version_id = request->version_ids[i];
      if (!version_id.empty() && !store::IsValidVersionId(version_id)) {
        results.push_back(S3Error("InvalidArgument", "Invalid version id specified"));
        continue;
      }
      auto one = DeleteOneVersion(ctx, keys[i], version_id, request->conditions[i]);
      if (one.ok()) deleted[i] = std::move(*one);
      results.push_back(one.ok() ? Status::Ok() : one.status());
    }
  } else {
    results = ctx.store.DeleteObjects(ctx.bucket, allowed, ctx.SyncDiropsRequested());
  }
  const Status access_denied = S3Error("AccessDenied", "Access Denied");
  for (size_t i = 0, next = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const std::string& version_id = request->version_ids[i];
    const Status& s = denied[i] ? access_denied : results[next++];
    if (s.ok()) {
      if (quiet) continue;
      auto node = xml.root().append_child("Deleted");
      AddText(node, "Key", key);
      if (!version_id.empty()) AddText(node, "VersionId", version_id);
      if (deleted[i].delete_marker) {
        AddText(node, "DeleteMarker", "true");
        if (version_id.empty()) AddText(node, "DeleteMarkerVersionId", deleted[i].version_id);
      }
      continue;
    }
    auto error = xml.root().append_child("Error");
    AddText(error, "Key", key);
    if (!version_id.empty()) AddText(error, "VersionId", version_id);
    const S3ErrorOfStatus s3_error = S3ErrorFor(s);
    AddText(error, "Code", s3_error.code);
    AddText(error, "Message", s3_error.message);
  }
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
