// Parsing a bucket policy: every fault S3 refuses is refused here, with the
// message S3 gives, so that a policy fsgate stores is one AWS would store.
#include "auth/policy.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "auth/policy_condition.h"
#include "auth/policy_variables.h"

namespace fsgate::auth {
namespace {

constexpr std::string_view kS3Arn = "arn:aws:s3:::";
constexpr std::string_view kUserArnPrefix = "arn:aws:iam::";

Status Malformed(std::string message) {
  return Status::Error(StatusCode::kInvalidArgument, std::move(message), "MalformedPolicy");
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// A string or a non-empty list of strings; false when it is neither.
bool Strings(const rapidjson::Value& v, std::vector<std::string>& out) {
  if (v.IsString()) {
    out.push_back(Str(v));
    return true;
  }
  if (!v.IsArray() || v.Empty()) return false;
  for (const auto& item : v.GetArray()) {
    if (!item.IsString()) return false;
    out.push_back(Str(item));
  }
  return true;
}

// "arn:aws:iam::<account>:user/<name>" (the account may be empty) -> name;
// "*" stays "*"; a bare canonical id is the user of that name.
bool PrincipalName(std::string_view aws, std::string& name) {
  if (aws == "*") {
    name = "*";
    return true;
  }
  if (aws.starts_with(kUserArnPrefix)) {
    std::string_view rest = aws.substr(kUserArnPrefix.size());
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return false;
    rest = rest.substr(colon + 1);
    if (!rest.starts_with("user/") || rest.size() == 5) return false;
    name = std::string(rest.substr(5));
    return true;
  }
  if (aws.empty() || aws.find(':') != std::string_view::npos) return false;
  name = std::string(aws);
  return true;
}

Status ParsePrincipal(const rapidjson::Value& v, PolicyStatement& st) {
  const Status invalid = Malformed("Invalid principal in policy");
  if (v.IsString()) {
    if (Str(v) != "*") return invalid;
    st.principals.push_back("*");
    return Status::Ok();
  }
  if (!v.IsObject() || v.MemberCount() == 0) return invalid;
  for (const auto& m : v.GetObject()) {
    const std::string kind = Str(m.name);
    if (kind != "AWS" && kind != "CanonicalUser") return invalid;
    std::vector<std::string> ids;
    if (!Strings(m.value, ids)) return invalid;
    for (const auto& id : ids) {
      std::string name;
      if (kind == "CanonicalUser") {
        if (id.empty()) return invalid;
        name = id;
      } else if (!PrincipalName(id, name)) {
        return invalid;
      }
      st.principals.push_back(std::move(name));
    }
  }
  return Status::Ok();
}

bool ValidAction(std::string_view action) {
  if (action == "*") return true;
  std::string lower = Lower(action);
  return lower.starts_with("s3:") && lower.size() > 3;
}

// Every Resource names this bucket or objects in it (a wildcard may stand in
// for the bucket's name, as AWS allows).
bool ValidResource(std::string_view resource, std::string_view bucket) {
  if (!resource.starts_with(kS3Arn)) return false;
  std::string_view path = resource.substr(kS3Arn.size());
  std::string_view bucket_part = path.substr(0, path.find('/'));
  return !bucket_part.empty() && WildcardMatch(bucket_part, bucket);
}

// `variables`: the policy's Version (2012-10-17) gives `${…}` its meaning.
Status ParseConditions(const rapidjson::Value& v, bool variables, PolicyStatement& st) {
  if (!v.IsObject()) return Malformed("Invalid Condition block in policy");
  for (const auto& block : v.GetObject()) {
    std::string op = Str(block.name);
    ConditionSet set = ConditionSet::kSingle;
    for (auto [prefix, qualifier] :
         {std::pair{std::string_view("ForAnyValue:"), ConditionSet::kForAnyValue},
          std::pair{std::string_view("ForAllValues:"), ConditionSet::kForAllValues}}) {
      if (op.starts_with(prefix)) {
        op.erase(0, prefix.size());
        set = qualifier;
      }
    }
    bool if_exists = false;
    if (op.ends_with("IfExists") && op != "NullIfExists") {
      op.resize(op.size() - std::string_view("IfExists").size());
      if_exists = true;
    }
    if (!IsConditionOperator(op)) {
      return Malformed("Invalid Condition type : " + Str(block.name));
    }
    if (!block.value.IsObject() || block.value.MemberCount() == 0) {
      return Malformed("Invalid Condition block in policy");
    }
    for (const auto& entry : block.value.GetObject()) {
      PolicyCondition c{
          .op = op, .if_exists = if_exists, .set = set, .key = Str(entry.name), .values = {}};
      const auto add = [&c](const rapidjson::Value& value) {
        if (value.IsString())
          c.values.push_back(Str(value));
        else if (value.IsBool())
          c.values.push_back(value.GetBool() ? "true" : "false");
        else if (value.IsInt64())
          c.values.push_back(std::to_string(value.GetInt64()));
        else
          return false;
        return true;
      };
      bool ok = true;
      if (entry.value.IsArray()) {
        ok = !entry.value.Empty();
        for (const auto& item : entry.value.GetArray()) ok = ok && add(item);
      } else {
        ok = add(entry.value);
      }
      if (!ok || c.key.empty()) return Malformed("Invalid Condition block in policy");
      // AWS replaces variables in string comparisons only.
      c.variables = variables && op.starts_with("String") &&
                    std::any_of(c.values.begin(), c.values.end(), HasPolicyVariable);
      st.conditions.push_back(std::move(c));
    }
  }
  return Status::Ok();
}

Status ParseStatement(const rapidjson::Value& v, std::string_view bucket, bool variables,
                      PolicyStatement& st) {
  if (!v.IsObject()) return Malformed("Invalid policy document");
  for (const auto& m : v.GetObject()) {
    static constexpr std::string_view kKnown[] = {"Sid",          "Effect",      "Principal",
                                                  "NotPrincipal", "Action",      "NotAction",
                                                  "Resource",     "NotResource", "Condition"};
    if (std::find(std::begin(kKnown), std::end(kKnown), Str(m.name)) == std::end(kKnown)) {
      return Malformed("Unknown field " + Str(m.name));
    }
  }
  auto field = [&v](const char* a, const char* b, bool& negated) -> const rapidjson::Value* {
    auto it = v.FindMember(a);
    negated = false;
    if (it != v.MemberEnd()) return &it->value;
    it = v.FindMember(b);
    if (it == v.MemberEnd()) return nullptr;
    negated = true;
    return &it->value;
  };
  auto effect = v.FindMember("Effect");
  if (effect == v.MemberEnd()) return Malformed("Missing required field Effect");
  if (!effect->value.IsString()) return Malformed("Invalid effect");
  const std::string effect_text = Str(effect->value);
  if (effect_text != "Allow" && effect_text != "Deny") {
    return Malformed("Invalid effect: " + effect_text);
  }
  st.allow = effect_text == "Allow";

  const rapidjson::Value* principal = field("Principal", "NotPrincipal", st.not_principal);
  if (principal == nullptr) return Malformed("Missing required field Principal");
  if (Status s = ParsePrincipal(*principal, st); !s.ok()) return s;

  const rapidjson::Value* action = field("Action", "NotAction", st.not_action);
  if (action == nullptr) return Malformed("Missing required field Action");
  if (!Strings(*action, st.actions)) return Malformed("Policy has invalid action");
  for (auto& a : st.actions) {
    if (!ValidAction(a)) return Malformed("Policy has invalid action");
    a = Lower(a);
  }

  const rapidjson::Value* resource = field("Resource", "NotResource", st.not_resource);
  if (resource == nullptr) return Malformed("Missing required field Resource");
  if (!Strings(*resource, st.resources)) return Malformed("Policy has invalid resource");
  for (const auto& r : st.resources) {
    if (!ValidResource(r, bucket)) return Malformed("Policy has invalid resource");
  }
  st.resource_variables =
      variables && std::any_of(st.resources.begin(), st.resources.end(), HasPolicyVariable);

  if (auto cond = v.FindMember("Condition"); cond != v.MemberEnd()) {
    if (Status s = ParseConditions(cond->value, variables, st); !s.ok()) return s;
  }
  return Status::Ok();
}

// A condition on s3:ExistingObjectTag/<key>, or a variable naming one.
bool MentionsExistingObjectTag(const BucketPolicy& policy) {
  constexpr std::string_view kKey = "s3:existingobjecttag/";
  const auto mentions = [kKey](std::string_view text) {
    return Lower(text).find(kKey) != std::string::npos;
  };
  for (const auto& st : policy.statements) {
    if (st.resource_variables && std::any_of(st.resources.begin(), st.resources.end(), mentions))
      return true;
    for (const auto& c : st.conditions) {
      if (mentions(c.key) ||
          (c.variables && std::any_of(c.values.begin(), c.values.end(), mentions))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

Result<BucketPolicy> ParseBucketPolicy(std::string_view text, std::string_view bucket) {
  if (text.size() > kMaxBucketPolicyBytes) {
    return Malformed("Policy exceeds the maximum allowed document size.");
  }
  size_t first = text.find_first_not_of(" \t\r\n");
  rapidjson::Document doc;
  if (first == std::string_view::npos || text[first] != '{' ||
      doc.Parse(text.data(), text.size()).HasParseError() || !doc.IsObject()) {
    return Malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  for (const auto& m : doc.GetObject()) {
    const std::string name = Str(m.name);
    if (name != "Version" && name != "Id" && name != "Statement") {
      return Malformed("Unknown field " + name);
    }
  }
  bool variables = false;  // policy variables came with Version 2012-10-17
  if (auto version = doc.FindMember("Version"); version != doc.MemberEnd()) {
    if (!version->value.IsString() ||
        (Str(version->value) != "2012-10-17" && Str(version->value) != "2008-10-17")) {
      return Malformed("The policy must contain a valid version string");
    }
    variables = Str(version->value) == "2012-10-17";
  }
  auto statements = doc.FindMember("Statement");
  if (statements == doc.MemberEnd()) return Malformed("Missing required field Statement");
  BucketPolicy policy;
  auto add = [&](const rapidjson::Value& v) {
    PolicyStatement st;
    Status s = ParseStatement(v, bucket, variables, st);
    if (s.ok()) policy.statements.push_back(std::move(st));
    return s;
  };
  if (statements->value.IsArray()) {
    if (statements->value.Empty())
      return Malformed("Could not parse the policy: Statement is empty!");
    for (const auto& v : statements->value.GetArray()) {
      if (Status s = add(v); !s.ok()) return s;
    }
  } else if (Status s = add(statements->value); !s.ok()) {
    return s;
  }
  policy.existing_object_tags = MentionsExistingObjectTag(policy);
  return policy;
}

}  // namespace fsgate::auth
