#include "auth/acl.h"

#include <algorithm>

namespace fsgate::auth {
namespace {

constexpr std::pair<AclPermission, std::string_view> kPermissionNames[] = {
    {AclPermission::kRead, "READ"},
    {AclPermission::kWrite, "WRITE"},
    {AclPermission::kReadAcp, "READ_ACP"},
    {AclPermission::kWriteAcp, "WRITE_ACP"},
    {AclPermission::kFullControl, "FULL_CONTROL"}};

constexpr std::pair<AclPermission, char> kPermissionLetters[] = {
    {AclPermission::kRead, 'R'},
    {AclPermission::kWrite, 'W'},
    {AclPermission::kReadAcp, 'r'},
    {AclPermission::kWriteAcp, 'w'},
    {AclPermission::kFullControl, 'F'}};

Status Invalid(std::string message) {
  return Status::Error(StatusCode::kInvalidArgument, std::move(message), "InvalidArgument");
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// One `type="value"` of a grant header; the quotes are optional.
Status AddOneGrant(AclPermission permission, std::string_view item, const UserExists& user_exists,
                   Acl& acl) {
  const size_t eq = item.find('=');
  if (eq == std::string_view::npos) return Invalid("Invalid grant header");
  const std::string_view type = Trim(item.substr(0, eq));
  std::string_view value = Trim(item.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (EqualsIgnoreCase(type, "emailAddress")) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "The e-mail address you provided does not match any account on record.",
                         "UnresolvableGrantByEmailAddress");
  }
  if (EqualsIgnoreCase(type, "uri")) {
    const auto group = GroupOf(value);
    if (!group) return Invalid("Invalid group uri");
    acl.grants.push_back({.kind = *group, .id = {}, .permission = permission});
    return Status::Ok();
  }
  if (EqualsIgnoreCase(type, "id")) {
    if (value.empty() || !user_exists(value)) return Invalid("Invalid id");
    acl.grants.push_back(
        {.kind = GranteeKind::kUser, .id = std::string(value), .permission = permission});
    return Status::Ok();
  }
  return Invalid("Invalid grant header");
}

}  // namespace

std::string_view PermissionName(AclPermission permission) {
  for (const auto& [p, name] : kPermissionNames) {
    if (p == permission) return name;
  }
  return {};
}

std::optional<AclPermission> PermissionOf(std::string_view name) {
  for (const auto& [p, n] : kPermissionNames) {
    if (n == name) return p;
  }
  return std::nullopt;
}

std::optional<GranteeKind> GroupOf(std::string_view uri) {
  if (uri == kAllUsersUri) return GranteeKind::kAllUsers;
  if (uri == kAuthenticatedUsersUri) return GranteeKind::kAuthenticatedUsers;
  return std::nullopt;
}

std::string_view GroupUri(GranteeKind kind) {
  return kind == GranteeKind::kAllUsers ? kAllUsersUri : kAuthenticatedUsersUri;
}

Acl PrivateAcl(std::string_view owner) {
  return {.owner = std::string(owner),
          .grants = {{.kind = GranteeKind::kUser,
                      .id = std::string(owner),
                      .permission = AclPermission::kFullControl}}};
}

Result<Acl> CannedAcl(std::string_view name, std::string_view owner,
                      std::string_view bucket_owner) {
  Acl acl = PrivateAcl(owner);
  auto add = [&acl](GranteeKind kind, std::string_view id, AclPermission permission) {
    acl.grants.push_back({.kind = kind, .id = std::string(id), .permission = permission});
  };
  // aws-exec-read adds a grant to EC2's image service, which is no fsgate user.
  if (name == "private" || name == "aws-exec-read") return acl;
  if (name == "public-read" || name == "public-read-write") {
    add(GranteeKind::kAllUsers, {}, AclPermission::kRead);
    if (name == "public-read-write") add(GranteeKind::kAllUsers, {}, AclPermission::kWrite);
    return acl;
  }
  if (name == "authenticated-read") {
    add(GranteeKind::kAuthenticatedUsers, {}, AclPermission::kRead);
    return acl;
  }
  if (name == "bucket-owner-read" || name == "bucket-owner-full-control") {
    // On a bucket, or an object of the bucket's owner, the same as private.
    if (!bucket_owner.empty() && bucket_owner != owner) {
      add(GranteeKind::kUser, bucket_owner,
          name == "bucket-owner-read" ? AclPermission::kRead : AclPermission::kFullControl);
    }
    return acl;
  }
  return Invalid("");
}

Status AddHeaderGrants(AclPermission permission, std::string_view value,
                       const UserExists& user_exists, Acl& acl) {
  while (true) {
    const size_t comma = value.find(',');
    if (Status s = AddOneGrant(permission, value.substr(0, comma), user_exists, acl); !s.ok()) {
      return s;
    }
    if (comma == std::string_view::npos) return Status::Ok();
    value.remove_prefix(comma + 1);
  }
}

bool IsPublicAcl(const Acl& acl) {
  return std::any_of(acl.grants.begin(), acl.grants.end(),
                     [](const AclGrant& g) { return g.kind != GranteeKind::kUser; });
}

uint8_t GrantedTo(const Acl& acl, std::string_view user, bool ignore_public) {
  uint8_t granted = 0;
  for (const AclGrant& g : acl.grants) {
    const bool applies =
        g.kind == GranteeKind::kUser
            ? !user.empty() && g.id == user
            : !ignore_public && (g.kind == GranteeKind::kAllUsers || !user.empty());
    if (applies) granted |= static_cast<uint8_t>(g.permission);
  }
  return granted;
}

std::string EncodeAcl(const Acl& acl) {
  std::string out = acl.owner + "\n";
  for (const AclGrant& g : acl.grants) {
    for (const auto& [p, letter] : kPermissionLetters) {
      if (p == g.permission) out += letter;
    }
    out += g.kind == GranteeKind::kUser ? 'U' : g.kind == GranteeKind::kAllUsers ? 'A' : 'T';
    out += g.id;
    out += '\n';
  }
  return out;
}

std::optional<Acl> DecodeAcl(std::string_view text) {
  Acl acl;
  size_t end = text.find('\n');
  if (end == std::string_view::npos || end == 0) return std::nullopt;
  acl.owner = std::string(text.substr(0, end));
  text.remove_prefix(end + 1);
  while (!text.empty()) {
    end = text.find('\n');
    if (end == std::string_view::npos || end < 2) return std::nullopt;
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    AclGrant grant;
    const auto letter = std::find_if(std::begin(kPermissionLetters), std::end(kPermissionLetters),
                                     [&](const auto& pair) { return pair.second == line[0]; });
    if (letter == std::end(kPermissionLetters)) return std::nullopt;
    grant.permission = letter->first;
    switch (line[1]) {
      case 'U':
        grant.kind = GranteeKind::kUser;
        grant.id = std::string(line.substr(2));
        if (grant.id.empty()) return std::nullopt;
        break;
      case 'A':
        grant.kind = GranteeKind::kAllUsers;
        break;
      case 'T':
        grant.kind = GranteeKind::kAuthenticatedUsers;
        break;
      default:
        return std::nullopt;
    }
    acl.grants.push_back(std::move(grant));
  }
  return acl;
}

}  // namespace fsgate::auth
