// GetObjectAttributes: what x-amz-object-attributes asks for of an object —
// its ETag, checksum, parts (paged), storage class and size — without its body.
#include <charconv>
#include <set>

#include "gateway/checksum_fields.h"
#include "gateway/s3_handlers.h"
#include "gateway/s3_time.h"

namespace fsgate::gateway {
namespace {

constexpr std::string_view kAttributes[] = {"ETag", "Checksum", "ObjectParts", "StorageClass",
                                            "ObjectSize"};
constexpr long long kMaxPartsListed = 1000;

// The attributes asked for, comma-separated (spaces around names allowed);
// false after answering InvalidArgument for none or an unknown one.
bool ReadAttributes(S3Context& ctx, std::set<std::string, std::less<>>& wanted) {
  const std::string* header = ctx.request.Header("x-amz-object-attributes");
  std::string_view list = header != nullptr ? std::string_view(*header) : std::string_view();
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool known = false;
    for (std::string_view attribute : kAttributes) known = known || attribute == name;
    if (!known) {
      ctx.Error("InvalidArgument", "Invalid attribute name specified.");
      return false;
    }
    wanted.emplace(name);
  }
  if (wanted.empty()) {
    ctx.Error("InvalidArgument",
              "The x-amz-object-attributes header specifying the attributes to be retrieved is "
              "either missing or empty");
    return false;
  }
  return true;
}

// A non-negative integer header, `fallback` when absent; false after answering.
bool ReadCount(S3Context& ctx, const char* header, std::string_view what, long long fallback,
               long long& out) {
  out = fallback;
  const std::string* v = ctx.request.Header(header);
  if (v == nullptr) return true;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size() || out < 0) {
    ctx.Error("InvalidArgument", "Argument " + std::string(what) + " must be an integer");
    return false;
  }
  return true;
}

void AppendObjectParts(pugi::xml_node root, const store::ObjectMeta& meta, long long marker,
                       long long max_parts) {
  auto parts = root.append_child("ObjectParts");
  AddText(parts, "PartsCount", std::to_string(meta.parts_count));
  AddText(parts, "PartNumberMarker", std::to_string(marker));
  // Each part's size (and checksum) when they were recorded at completion.
  const size_t recorded =
      meta.part_sizes.size() == static_cast<size_t>(meta.parts_count) ? meta.part_sizes.size() : 0;
  const bool with_checksums = meta.checksums.size() == 1 && meta.part_checksums.size() == recorded;
  size_t first = static_cast<size_t>(std::min<long long>(marker, meta.parts_count));
  size_t end = std::min(recorded, first + static_cast<size_t>(max_parts));
  const bool truncated = end < recorded;
  if (end > first) AddText(parts, "NextPartNumberMarker", std::to_string(end));
  AddText(parts, "MaxParts", std::to_string(max_parts));
  AddText(parts, "IsTruncated", truncated ? "true" : "false");
  for (size_t i = first; i < end; ++i) {
    auto part = parts.append_child("Part");
    AddText(part, "PartNumber", std::to_string(i + 1));
    AddText(part, "Size", std::to_string(meta.part_sizes[i]));
    if (with_checksums) {
      AppendChecksumElements(part, {{meta.checksums[0].first, meta.part_checksums[i]}});
    }
  }
}

}  // namespace

void GetObjectAttributes(S3Context& ctx) {
  std::string version_id;
  if (!ReadVersionId(ctx, version_id)) return;
  std::set<std::string, std::less<>> wanted;
  if (!ReadAttributes(ctx, wanted)) return;
  long long max_parts = 0;
  long long marker = 0;
  if (!ReadCount(ctx, "x-amz-max-parts", "max-parts", kMaxPartsListed, max_parts)) return;
  if (!ReadCount(ctx, "x-amz-part-number-marker", "part-number-marker", 0, marker)) return;
  max_parts = std::min(max_parts, kMaxPartsListed);
  auto reader = ReadObjectVersion(ctx, version_id);
  if (!reader.ok()) return ErrorOfVersionRead(ctx, reader.status(), version_id);
  const store::ObjectMeta* meta = &(*reader)->meta();

  XmlResponse xml("GetObjectAttributesResponse");
  auto root = xml.root();
  if (wanted.contains("ETag")) AddText(root, "ETag", meta->etag);  // unquoted, as AWS
  if (wanted.contains("Checksum") && !meta->checksums.empty()) {
    auto checksum = root.append_child("Checksum");
    AppendChecksumElements(checksum, meta->checksums);
    AddText(checksum, "ChecksumType",
            meta->checksum_type.empty() ? "FULL_OBJECT" : meta->checksum_type);
  }
  if (wanted.contains("ObjectParts") && meta->parts_count > 0) {
    AppendObjectParts(root, *meta, marker, max_parts);
  }
  if (wanted.contains("StorageClass")) AddText(root, "StorageClass", "STANDARD");
  if (wanted.contains("ObjectSize")) AddText(root, "ObjectSize", std::to_string(meta->size));
  http::Headers extra = {{"Last-Modified", FormatHttpDate(meta->mtime_ns)}};
  AppendVersionHeader(*meta, extra);
  ctx.SendXml(200, xml, std::move(extra));
}

}  // namespace fsgate::gateway
