// Object and bucket tagging: Get/Put/DeleteObjectTagging, Get/Put/DeleteBucketTagging.
#include <algorithm>

#include "gateway/object_tags.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

// `version`: the object version the tags are of (x-amz-version-id), if any.
void SendTagSet(S3Context& ctx, const store::HeaderList& tags,
                const store::ObjectMeta* version = nullptr) {
  XmlResponse xml("Tagging");
  auto tag_set = xml.root().append_child("TagSet");
  for (const auto& [key, value] : tags) {
    auto tag = tag_set.append_child("Tag");
    AddText(tag, "Key", key);
    AddText(tag, "Value", value);
  }
  http::Headers extra;
  if (version != nullptr) AppendVersionHeader(*version, extra);
  ctx.SendXml(200, xml, std::move(extra));
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

void GetObjectTagging(S3Context& ctx) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  auto reader = ReadObjectVersion(ctx, version_id);
  if (!reader.ok()) return ErrorOfVersionRead(ctx, reader.status(), version_id);
  SendTagSet(ctx, (*reader)->meta().tags, &(*reader)->meta());
}

// Put (tags) or Delete (none) of a version's tags: in a bucket with
// versions, of the version named (or the latest); else of the object.
void ChangeObjectTags(S3Context& ctx, bool put) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  store::HeaderList tags;
  if (put && !ReadTagSet(ctx, kMaxObjectTags, tags)) return;
  auto meta =
      version_id.empty() && !BucketHasVersions(ctx)
          ? ctx.store.PutObjectTagging(ctx.bucket, ctx.key, std::move(tags))
          : ctx.store.PutObjectVersionTagging(ctx.bucket, ctx.key, version_id, std::move(tags));
  if (!meta.ok()) return ErrorOfVersionRead(ctx, meta.status(), version_id);
  http::Headers extra;
  AppendVersionHeader(*meta, extra);
  ctx.SendEmpty(put ? 200 : 204, std::move(extra));
}

void PutObjectTagging(S3Context& ctx) { ChangeObjectTags(ctx, true); }
void DeleteObjectTagging(S3Context& ctx) { ChangeObjectTags(ctx, false); }

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
