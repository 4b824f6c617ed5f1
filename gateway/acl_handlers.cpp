// ACLs: Get/PutBucketAcl and Get/PutObjectAcl. An ACL is set by a canned
// x-amz-acl, by x-amz-grant-* headers, or by an AccessControlPolicy body —
// one of them; Authorize evaluates what is stored (auth/access.h).
#include <algorithm>

#include "auth/credentials.h"
#include "gateway/bucket_access.h"
#include "gateway/s3_handlers.h"
#include "gateway/xml_bodies.h"

namespace fsgate::gateway {
namespace {

void SendAcl(S3Context& ctx, const auth::Acl& acl, http::Headers extra = {}) {
  XmlResponse xml("AccessControlPolicy");
  auto owner = xml.root().append_child("Owner");
  AddText(owner, "ID", acl.owner);
  AddText(owner, "DisplayName", acl.owner);
  auto list = xml.root().append_child("AccessControlList");
  // Group grants first, then users', each in stored order: the order Ceph
  // RGW answers in and its s3-tests compare against (S3 gives an ACL's
  // grants no meaning by order).
  std::vector<const auth::AclGrant*> grants;
  for (const auth::AclGrant& g : acl.grants) grants.push_back(&g);
  std::stable_partition(grants.begin(), grants.end(), [](const auth::AclGrant* g) {
    return g->kind != auth::GranteeKind::kUser;
  });
  for (const auth::AclGrant* grant_ptr : grants) {
    const auth::AclGrant& g = *grant_ptr;
    auto grant = list.append_child("Grant");
    auto grantee = grant.append_child("Grantee");
    grantee.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    if (g.kind == auth::GranteeKind::kUser) {
      grantee.append_attribute("xsi:type") = "CanonicalUser";
      AddText(grantee, "ID", g.id);
      AddText(grantee, "DisplayName", g.id);
    } else {
      grantee.append_attribute("xsi:type") = "Group";
      AddText(grantee, "URI", auth::GroupUri(g.kind));
    }
    AddText(grant, "Permission", auth::PermissionName(g.permission));
  }
  ctx.SendXml(200, xml, std::move(extra));
}

// The AccessControlPolicy of a Put*Acl as an ACL of `owner`; false after
// answering MalformedACLError, UnresolvableGrantByEmailAddress or
// InvalidArgument for a grantee that is no user.
bool AclFromBody(S3Context& ctx, std::string_view body, std::string_view owner, auth::Acl& acl) {
  auto parsed = ParseAccessControlPolicy(body);
  if (!parsed) {
    ctx.Error("MalformedACLError");
    return false;
  }
  acl = {.owner = std::string(owner), .grants = {}};
  for (const AclGrantXml& g : parsed->grants) {
    if (!g.email.empty()) {
      ctx.Error("UnresolvableGrantByEmailAddress");
      return false;
    }
    if (!g.uri.empty()) {
      const auto group = auth::GroupOf(g.uri);
      if (!group) {
        ctx.Error("InvalidArgument", "Invalid group uri", ArgumentDetails("uri", g.uri));
        return false;
      }
      acl.grants.push_back({.kind = *group, .id = {}, .permission = g.permission});
      continue;
    }
    if (ctx.users == nullptr || !ctx.users->HasUser(g.id)) {
      ctx.Error("InvalidArgument", "Invalid id", ArgumentDetails("CanonicalUser/ID", g.id));
      return false;
    }
    acl.grants.push_back(
        {.kind = auth::GranteeKind::kUser, .id = g.id, .permission = g.permission});
  }
  return true;
}

// The ACL a Put*Acl sets on a resource of `owner`: from its headers or its
// body, never both; false after answering.
bool AclToPut(S3Context& ctx, std::string_view owner, auth::Acl& acl) {
  std::optional<auth::Acl> from_headers;
  if (!AclFromHeaders(ctx, owner, ctx.bucket_attributes, from_headers)) return false;
  auto body = ReadXmlBody(ctx);
  if (!body.ok()) {
    ctx.Error(body.status());
    return false;
  }
  if (from_headers) {
    if (!body->empty()) {
      ctx.Error("InvalidRequest",
                "Specifying both an ACL in the request body and ACL request headers is not "
                "allowed");
      return false;
    }
    acl = std::move(*from_headers);
    return true;
  }
  if (body->empty()) {
    ctx.Error("MissingSecurityHeader");
    return false;
  }
  return AclFromBody(ctx, *body, owner, acl) &&
         MaySetAcl(ctx, acl, ctx.bucket_attributes, /*bucket_owner_full_control=*/true);
}

}  // namespace

void GetBucketAcl(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  SendAcl(ctx, BucketAclOf(ctx, info->attributes));
}

void PutBucketAcl(S3Context& ctx) {
  auto info = ctx.store.HeadBucket(ctx.bucket);
  if (!info.ok()) return ctx.Error(info.status());
  auth::Acl acl;
  if (!AclToPut(ctx, info->attributes.owner, acl)) return;
  Status s = ctx.store.PutBucketAcl(ctx.bucket, StoredAcl(acl, info->attributes.owner));
  if (!s.ok()) return ctx.Error(s);
  ctx.SendEmpty(200);
}

void GetObjectAcl(S3Context& ctx) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  auto reader = ReadObjectVersion(ctx, version_id);
  if (!reader.ok()) return ErrorOfVersionRead(ctx, reader.status(), version_id);
  http::Headers extra;
  AppendVersionHeader((*reader)->meta(), extra);
  SendAcl(ctx, ObjectAclOf(ctx, (*reader)->meta(), ctx.bucket_attributes), std::move(extra));
}

void PutObjectAcl(S3Context& ctx) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  if (!version_id.empty()) {
    // One version's own metadata record, the latest's or an older one's in
    // the key's history; a delete marker has none (MethodNotAllowed).
    auto version = ReadObjectVersion(ctx, version_id);
    if (!version.ok()) return ErrorOfVersionRead(ctx, version.status(), version_id);
    const std::string owner = ObjectAclOf(ctx, (*version)->meta(), ctx.bucket_attributes).owner;
    auth::Acl acl;
    if (!AclToPut(ctx, owner, acl)) return;
    const std::string stored = StoredAcl(acl, ctx.bucket_attributes.owner);
    auto updated = ctx.store.UpdateVersionMeta(ctx.bucket, ctx.key, version_id,
                                               [&stored](store::ObjectMeta& m) {
                                                 m.acl = stored;
                                                 return Status::Ok();
                                               });
    if (!updated.ok()) return ctx.Error(updated.status());
    http::Headers extra;
    AppendVersionHeader(*updated, extra);
    return ctx.SendEmpty(200, std::move(extra));
  }
  auto meta = ctx.store.HeadObject(ctx.bucket, ctx.key);
  if (!meta.ok()) return ctx.Error(meta.status());
  // The object keeps its owner; only its grants change.
  const std::string owner = ObjectAclOf(ctx, *meta, ctx.bucket_attributes).owner;
  auth::Acl acl;
  if (!AclToPut(ctx, owner, acl)) return;
  auto updated =
      ctx.store.PutObjectAcl(ctx.bucket, ctx.key, StoredAcl(acl, ctx.bucket_attributes.owner));
  if (!updated.ok()) return ctx.Error(updated.status());
  ctx.SendEmpty(200);
}

}  // namespace fsgate::gateway
