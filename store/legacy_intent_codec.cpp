#include "store/legacy_intent_codec.h"

#include <tuple>

#include "dirops/intent_codec.h"
#include "dirops/record_fields.h"
#include "store/key_path.h"
#include "store/meta_record.h"

namespace fsgate::store {
namespace {

using dirops::RecordReader;

// S3's limit on the parts of an upload; more can only come from garbage.
constexpr uint32_t kMaxPartSizes = 10000;

HeaderList ReadHeaders(RecordReader& r) {
  HeaderList headers;
  auto n = r.Int<uint32_t>();
  for (uint32_t i = 0; i < n && r.ok_so_far(); ++i) {
    std::string name = r.String();
    std::string value = r.String();
    headers.emplace_back(std::move(name), std::move(value));
  }
  return headers;
}

}  // namespace

std::optional<dirops::Intent> DecodeLegacyIntent(uint32_t /*version: one layout*/,
                                                 std::string_view payload) {
  RecordReader r(payload);
  dirops::Intent intent;
  auto op = r.Int<uint8_t>();
  intent.seq = r.Int<uint64_t>();
  const std::string bucket = r.String();
  const std::string key = r.String();
  intent.staging.path = r.String();
  intent.staging.ino = r.Int<uint64_t>();
  intent.staging.delegated = r.Int<uint8_t>() != 0;
  intent.target_ino = r.Int<uint64_t>();
  ObjectMeta m;
  m.etag = r.String();
  m.size = r.Int<uint64_t>();
  m.mtime_ns = r.Int<int64_t>();
  m.content_type = r.String();
  m.system_headers = ReadHeaders(r);
  m.user_meta = ReadHeaders(r);
  m.checksums = ReadHeaders(r);
  m.parts_count = r.Int<int32_t>();
  if (r.Int<uint8_t>() != 0) intent.inline_data = std::make_shared<const std::string>(r.String());
  if (!r.at_end()) {
    const auto parts = r.Int<uint32_t>();
    for (uint32_t i = 0; i < parts && i < kMaxPartSizes && r.ok_so_far(); ++i) {
      m.part_sizes.push_back(r.Int<uint64_t>());
    }
  }
  if (!r.ok() || !dirops::ValidIntentOp(op)) return std::nullopt;
  intent.op = static_cast<dirops::IntentOp>(op);
  if (intent.op == dirops::IntentOp::kCheckpoint) return intent;
  // Journaled buckets and keys were validated when answered; a record naming
  // an invalid one is garbage (a bucket "/x" would split into no top directory).
  if (!ValidateBucketName(bucket).ok() || !ValidateKey(key).ok()) return std::nullopt;
  std::tie(intent.top, intent.name) = dirops::SplitNode(ObjectNode(bucket, key));
  if (intent.top.empty() || intent.name.empty()) return std::nullopt;
  if (intent.op == dirops::IntentOp::kCreate) {
    intent.attrs = EncodeMetaRecord(m, /*with_mtime=*/IsDirectoryKey(key));  // EncodeObjectAttrs
    intent.mtime_ns = m.mtime_ns;
  }
  return intent;
}

}  // namespace fsgate::store
