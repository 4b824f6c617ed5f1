// An access control list: a bucket's or an object's owner and grants, the
// canned ACLs and x-amz-grant-* headers that make one, and its compact codec
// (the one form it is stored in: the bucket record's "acl" string and the
// object meta record's 'a' field).
//
// An fsgate user's canonical id is its name, as in a bucket policy. The two
// groups are AWS's: AllUsers (anyone, anonymous included) and
// AuthenticatedUsers (any signed caller).
//
// Codec: the owner, then one line per grant "<permission><grantee kind><id>",
// each line ending in '\n'. Permission: R W r(ead acp) w(rite acp) F; kind:
// U (user, id follows), A (AllUsers), T (AuthenticatedUsers). A private ACL
// of a 5-letter owner is 13 bytes, a public-read one 16: it stays inside the
// inode with the rest of a typical object's metadata (store/meta_record.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fsgate::auth {

enum class AclPermission : uint8_t {
  kRead = 1,
  kWrite = 2,
  kReadAcp = 4,
  kWriteAcp = 8,
  kFullControl = 15,  // every one of the above
};

enum class GranteeKind : uint8_t { kUser, kAllUsers, kAuthenticatedUsers };

inline constexpr std::string_view kAllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
inline constexpr std::string_view kAuthenticatedUsersUri =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

struct AclGrant {
  GranteeKind kind = GranteeKind::kUser;
  std::string id;  // the user's name for kUser; empty for a group
  AclPermission permission = AclPermission::kRead;
  bool operator==(const AclGrant&) const = default;
};

struct Acl {
  std::string owner;
  std::vector<AclGrant> grants;
  bool operator==(const Acl&) const = default;
};

// Does a user of this name exist? Grants naming unknown users are refused.
using UserExists = std::function<bool(std::string_view)>;

// "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL".
[[nodiscard]] std::string_view PermissionName(AclPermission permission);
[[nodiscard]] std::optional<AclPermission> PermissionOf(std::string_view name);
// The group of an AllUsers/AuthenticatedUsers URI.
[[nodiscard]] std::optional<GranteeKind> GroupOf(std::string_view uri);
[[nodiscard]] std::string_view GroupUri(GranteeKind kind);

// The owner alone with FULL_CONTROL: what an absent ACL means.
[[nodiscard]] Acl PrivateAcl(std::string_view owner);

// The canned ACL `name` (x-amz-acl) for a resource of `owner` in a bucket of
// `bucket_owner`; InvalidArgument for a name AWS does not know.
Result<Acl> CannedAcl(std::string_view name, std::string_view owner, std::string_view bucket_owner);

// Adds the grants of one x-amz-grant-<permission> header's value
// (`id="alice", uri="http://…/AllUsers"`) to `acl`. An emailAddress grantee
// is UnresolvableGrantByEmailAddress, an unknown id or URI InvalidArgument.
[[nodiscard]] Status AddHeaderGrants(AclPermission permission, std::string_view value,
                                     const UserExists& user_exists, Acl& acl);

// Grants anything to AllUsers or AuthenticatedUsers (BlockPublicAcls refuses it).
[[nodiscard]] bool IsPublicAcl(const Acl& acl);

// The permissions `acl` grants a caller (empty user: anonymous), ORed;
// `ignore_public`: grants to the groups count for nothing (IgnorePublicAcls).
[[nodiscard]] uint8_t GrantedTo(const Acl& acl, std::string_view user, bool ignore_public);

[[nodiscard]] std::string EncodeAcl(const Acl& acl);
// nullopt for a damaged value: the caller fails closed (private to the owner).
[[nodiscard]] std::optional<Acl> DecodeAcl(std::string_view text);

}  // namespace fsgate::auth
