#include "store/bucket_record.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

namespace fsgate::store {
namespace {

// The attributes stored as one JSON string each.
constexpr std::pair<const char*, std::string BucketAttributes::*> kStringFields[] = {
    {"owner", &BucketAttributes::owner},
    {"region", &BucketAttributes::region},
    {"policy", &BucketAttributes::policy},
    {"acl", &BucketAttributes::acl},
    {"public_access_block", &BucketAttributes::public_access_block},
    {"ownership", &BucketAttributes::ownership},
    {"cors", &BucketAttributes::cors},
    {"versioning", &BucketAttributes::versioning},
    {"object_lock", &BucketAttributes::object_lock}};

Status Damaged(std::string_view why) {
  return Status::Errno(EINVAL, "bucket record: " + std::string(why));
}

// The record of an older fsgate: the creation time alone.
Result<BucketRecord> DecodeLegacy(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  BucketRecord record;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), record.created_ns);
  if (ec != std::errc() || ptr != text.data() + text.size()) return Damaged("not a number");
  return record;
}

}  // namespace

std::string EncodeBucketRecord(const BucketRecord& record) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  // Format 2 only with versioning: an older binary must not overwrite the
  // versions of a bucket it would take for unversioned.
  w.Key("v");
  w.Int(record.attributes.versioning.empty() ? 1 : kBucketRecordVersion);
  w.Key("created_ns");
  w.Int64(record.created_ns);
  w.Key("owner");
  w.String(record.attributes.owner.data(),
           static_cast<rapidjson::SizeType>(record.attributes.owner.size()));
  w.Key("region");
  w.String(record.attributes.region.data(),
           static_cast<rapidjson::SizeType>(record.attributes.region.size()));
  if (!record.attributes.tags.empty()) {
    w.Key("tags");
    w.StartArray();
    for (const auto& [key, value] : record.attributes.tags) {
      w.StartArray();
      w.String(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
      w.EndArray();
    }
    w.EndArray();
  }
  for (const auto& [name, member] : kStringFields) {
    const std::string& field = record.attributes.*member;
    if (field.empty() || name == std::string_view("owner") || name == std::string_view("region")) {
      continue;  // written above, always
    }
    w.Key(name);
    w.String(field.data(), static_cast<rapidjson::SizeType>(field.size()));
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

Result<BucketRecord> DecodeBucketRecord(std::string_view text) {
  if (text.empty() || text.front() != '{') return DecodeLegacy(text);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return Damaged("invalid JSON");
  auto version = doc.FindMember("v");
  if (version == doc.MemberEnd() || !version->value.IsInt() || version->value.GetInt() < 1) {
    return Damaged("no format version");
  }
  if (version->value.GetInt() > kBucketRecordVersion) {
    return Status::Errno(EPROTONOSUPPORT,
                         "bucket record of format " + std::to_string(version->value.GetInt()) +
                             ", written by a newer fsgate; this binary knows format " +
                             std::to_string(kBucketRecordVersion));
  }
  BucketRecord record;
  auto created = doc.FindMember("created_ns");
  if (created == doc.MemberEnd() || !created->value.IsInt64()) return Damaged("no created_ns");
  record.created_ns = created->value.GetInt64();
  for (const auto& [name, member] : kStringFields) {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd()) continue;
    if (!it->value.IsString()) return Damaged(std::string(name) + " is not a string");
    (record.attributes.*member).assign(it->value.GetString(), it->value.GetStringLength());
  }
  if (auto tags = doc.FindMember("tags"); tags != doc.MemberEnd()) {
    if (!tags->value.IsArray()) return Damaged("tags is not an array");
    for (const auto& pair : tags->value.GetArray()) {
      if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
        return Damaged("a tag is not a [key, value] pair");
      }
      record.attributes.tags.emplace_back(
          std::string(pair[0].GetString(), pair[0].GetStringLength()),
          std::string(pair[1].GetString(), pair[1].GetStringLength()));
    }
  }
  return record;
}

}  // namespace fsgate::store
