// Object and bucket tagging: Get/Put/DeleteObjectTagging, Get/Put/DeleteBucketTagging.
#include <algorithm>

#include "gateway/object_tags.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

void SendTagSet(S3Context& ctx, const store::HeaderList& tags) {
  XmlResponse xml("Tagging");
  auto tag_set = xml.root().append_child("TagSet");
  for (const auto& [key, value] : tags) {
    auto tag = tag_set.append_child("Tag");
    AddText(tag, "Key", key);
    AddText(tag, "Value", value);
  }
  ctx.SendXml(200, xml);
}

// The Tagging document of a Put*Tagging, checked against AWS's rules for
// `max_tags`, sorted by key; false after answering an error.
bool ReadTagSet(S3Context& ctx, size_t max_tags, store::HeaderList& tags) {
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) {
    ctx.Error(body.status());
    return false;
  }
  auto parsed = ParseTagging(*body);
  if (!parsed) {
    ctx.Error("MalformedXML");
    return false;
  }
  if (Status s = ValidateTags(*parsed, max_tags); !s.ok()) {
    ctx.Error(s);
    return false;
  }
  tags = std::move(*parsed);
  std::sort(tags.begin(), tags.end());
  return true;
}

}  // namespace

bool CheckNullVersionId(S3Context& ctx) {
  const std::string* version = ctx.request.Query("versionId");
  if (version == nullptr || *version == "null") return true;
  ctx.Error("InvalidArgument", "Invalid version id specified",
            ArgumentDetails("versionId", *version));
  return false;
}

void GetObjectTagging(S3Context& ctx) {
  if (!CheckNullVersionId(ctx)) return;
  auto meta = ctx.store.HeadObject(ctx.bucket, ctx.key);
  if (!meta.ok()) return ctx.Error(meta.status());
  SendTagSet(ctx, meta->tags);
}

void PutObjectTagging(S3Context& ctx) {
  if (!CheckNullVersionId(ctx)) return;
  store::HeaderList tags;
  if (!ReadTagSet(ctx, kMaxObjectTags, tags)) return;
  auto meta = ctx.store.PutObjectTagging(ctx.bucket, ctx.key, std::move(tags));
  if (!meta.ok()) return ctx.Error(meta.status());
  ctx.SendEmpty(200);
}

void DeleteObjectTagging(S3Context& ctx) {
  if (!CheckNullVersionId(ctx)) return;
  auto meta = ctx.store.PutObjectTagging(ctx.bucket, ctx.key, {});
  if (!meta.ok()) return ctx.Error(meta.status());
  ctx.SendEmpty(204);
}

void GetBucketTagging(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  if (info->attributes.tags.empty()) {
    return ctx.Error("NoSuchTagSet", "The TagSet does not exist");
  }
  SendTagSet(ctx, info->attributes.tags);
}

void PutBucketTagging(S3Context& ctx) {
  store::HeaderList tags;
  if (!ReadTagSet(ctx, kMaxBucketTags, tags)) return;
  Status s = ctx.store.PutBucketTagging(ctx.bucket, std::move(tags));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

void DeleteBucketTagging(S3Context& ctx) {
  Status s = ctx.store.PutBucketTagging(ctx.bucket, {});
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(204);
}

}  // namespace fsgate::gateway
