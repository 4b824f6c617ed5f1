#include <algorithm>
#include <array>
#include <vector>

#include "auth/hash.h"
#include "gateway/conditions.h"
#include "gateway/object_headers.h"
#include "gateway/payload_reader.h"
#include "gateway/s3_error.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

constexpr uint64_t kMaxPutSize = 5ull << 30;  // 5 GiB, AWS's single-PUT limit
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

void SetHeader(Headers& headers, const std::string& name, const std::string& value) {
  for (auto& [n, v] : headers) {
    if (n == name) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

Headers ObjectResponseHeaders(const S3Context& ctx, const fsclient::ObjectMeta& meta) {
  Headers headers = ctx.BaseHeaders();
  const std::string* mode = ctx.request.Header("x-amz-checksum-mode");
  AppendMetaHeaders(meta, mode != nullptr && *mode == "ENABLED", headers);
  if (meta.parts_count > 0 && ctx.request.HasQuery("partNumber")) {
    headers.emplace_back("x-amz-mp-parts-count", std::to_string(meta.parts_count));
  }
  for (const auto& [query, header] : kResponseOverrides) {
    if (const std::string* v = ctx.request.Query(query)) SetHeader(headers, header, *v);
  }
  return headers;
}

// Streams [first, first+length) of the object into the response.
void SendObjectBody(S3Context& ctx, fsclient::ObjectReader& reader, int status, Headers headers,
                    uint64_t first, uint64_t length) {
  ctx.status = status;
  if (ctx.request.method == "HEAD") {
    (void)ctx.response.Begin(status, std::move(headers), length);
    return;
  }
  if (length <= kSmallResponse) {
    std::string body(length, '\0');
    uint64_t done = 0;
    while (done < length) {
      auto n = reader.Read(first + done, std::span(body.data() + done, length - done));
      if (!n.ok()) return ctx.Error(n.status());
      if (*n == 0) break;
      done += *n;
    }
    if (done != length) return ctx.Error("InternalError");
    ctx.bytes_out += length;
    ctx.response.Send(status, std::move(headers), body);
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
  auto reader = ctx.store.GetObject(ctx.bucket, ctx.key);
  if (!reader.ok()) return ctx.Error(reader.status());
  const fsclient::ObjectMeta& meta = (*reader)->meta();
  if (std::string failed = EvaluateReadConditions(ctx.request, meta); !failed.empty()) {
    if (failed == "NotModified") {
      Headers headers = ctx.BaseHeaders();
      headers.emplace_back("ETag", QuotedEtag(meta.etag));
      ctx.status = 304;
      ctx.response.Send(304, std::move(headers), "");
      return;
    }
    return ctx.Error(failed);
  }
  Headers headers = ObjectResponseHeaders(ctx, meta);
  ByteRange range;
  const std::string* range_header = ctx.request.Header("range");
  RangeResult rr =
      range_header != nullptr ? ParseRange(*range_header, meta.size, range) : RangeResult::kNone;
  if (rr == RangeResult::kUnsatisfiable) {
    ctx.error_code = "InvalidRange";
    ctx.status = 416;
    Headers error_headers = ctx.BaseHeaders();
    error_headers.emplace_back("Content-Range", "bytes */" + std::to_string(meta.size));
    std::string body;
    if (ctx.request.method != "HEAD") {
      body = ErrorXmlFor(ctx, "InvalidRange");
      error_headers.emplace_back("Content-Type", "application/xml");
    }
    ctx.response.Send(416, std::move(error_headers), body);
    return;
  }
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

Status ReadContentMd5(const HttpRequest& request, std::optional<std::string>& md5) {
  const std::string* header = request.Header("content-md5");
  if (header == nullptr) return Status::Ok();
  auto raw = auth::Base64Decode(*header);
  if (!raw || raw->size() != 16) {
    return Status::S3(s3err::kInvalidDigest, "The Content-MD5 you specified is not valid.");
  }
  md5 = std::move(*raw);
  return Status::Ok();
}

Result<fsclient::ObjectMeta> StreamIntoWriter(S3Context& ctx, fsclient::ObjectWriter& writer,
                                              fsclient::ObjectMeta meta) {
  std::optional<std::string> content_md5;
  if (Status s = ReadContentMd5(ctx.request, content_md5); !s.ok()) return s;
  // Sized to the body when it is small: zeroing 256 KiB per 4 KiB PUT was 3 %
  // of the server's CPU at 32 connections. One byte more reads the end.
  const uint64_t declared = ctx.payload.declared_length().value_or(kIoChunk);
  std::vector<char> buf(static_cast<size_t>(std::min<uint64_t>(kIoChunk, declared + 1)));
  for (;;) {
    auto n = ctx.payload.Read(buf);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    if (Status s = writer.Write(std::span<const char>(buf.data(), *n)); !s.ok()) return s;
  }
  if (content_md5 && writer.Md5() != *content_md5) {
    return Status::S3(s3err::kBadDigest,
                      "The Content-MD5 you specified did not match what we received.");
  }
  if (auto checksum = ctx.payload.checksum()) meta.checksums.push_back(*checksum);
  return writer.Commit(std::move(meta));
}

void PutObject(S3Context& ctx) {
  auto declared = ctx.payload.declared_length();
  if (!declared && ctx.request.Header("transfer-encoding") == nullptr) {
    return ctx.Error("MissingContentLength");
  }
  if (declared && *declared > kMaxPutSize) return ctx.Error("EntityTooLarge");
  fsclient::PutRequest put;
  put.bucket = ctx.bucket;
  put.key = ctx.key;
  if (Status s = MetaFromRequest(ctx.request, put.meta); !s.ok()) return ctx.Error(s);
  put.conditions = WriteConditionsFrom(ctx.request);
  put.sync_dirops = ctx.SyncDiropsRequested();
  put.expected_size = declared ? static_cast<int64_t>(*declared) : -1;
  fsclient::ObjectMeta meta = put.meta;
  auto writer = ctx.store.BeginPut(std::move(put));
  if (!writer.ok()) return ctx.Error(writer.status());
  auto committed = StreamIntoWriter(ctx, **writer, std::move(meta));
  if (!committed.ok()) return ctx.Error(committed.status());
  Headers extra = {{"ETag", QuotedEtag(committed->etag)}};
  AppendChecksumHeaders(*committed, extra);
  ctx.SendEmpty(200, std::move(extra));
}

void GetObject(S3Context& ctx) { GetOrHead(ctx); }
void HeadObject(S3Context& ctx) { GetOrHead(ctx); }

void DeleteObject(S3Context& ctx) {
  Status s = ctx.store.DeleteObject(ctx.bucket, ctx.key, ctx.SyncDiropsRequested());
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void DeleteObjects(S3Context& ctx) {
  auto body = ctx.payload.ReadAll(2 * 1024 * 1024);
  if (!body.ok()) return ctx.Error(body.status());
  auto request = ParseDeleteObjects(*body);
  if (!request) return ctx.Error("MalformedXML");
  const bool quiet = request->quiet;
  const std::vector<std::string>& keys = request->keys;
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());

  XmlResponse xml("DeleteResult");
  // One store call for the whole batch: async unlinks share one journal sync.
  // An empty or invalid key gets its InvalidArgument entry from the store.
  const std::vector<Status> results =
      ctx.store.DeleteObjects(ctx.bucket, keys, ctx.SyncDiropsRequested());
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const Status& s = results[i];
    if (s.ok()) {
      if (!quiet) AddText(xml.root().append_child("Deleted"), "Key", key);
      continue;
    }
    auto error = xml.root().append_child("Error");
    AddText(error, "Key", key);
    AddText(error, "Code", s.code());
    AddText(error, "Message",
            s.err() != 0 ? std::string(DefaultErrorMessage(s.code())) : s.message());
  }
  ctx.SendXml(200, xml);
}

void GetObjectAcl(S3Context& ctx) {
  auto meta = ctx.store.HeadObject(ctx.bucket, ctx.key);
  if (!meta.ok()) return ctx.Error(meta.status());
  GetBucketAcl(ctx);
}

void GetObjectTagging(S3Context& ctx) {
  auto meta = ctx.store.HeadObject(ctx.bucket, ctx.key);
  if (!meta.ok()) return ctx.Error(meta.status());
  XmlResponse xml("Tagging");
  xml.root().append_child("TagSet");
  ctx.SendXml(200, xml);
}

}  // namespace fsgate::gateway
