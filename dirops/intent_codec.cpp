#include "dirops/intent_codec.h"

#include <cstring>

#include "base/hash.h"

namespace fsgate::dirops {
namespace {

constexpr std::string_view kSegmentMagic{"FSGJRNL\0", 8};
// S3's limit on the parts of an upload; more can only come from garbage.
constexpr uint32_t kMaxPartSizes = 10000;

void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

template <typename T>
void PutInt(std::string* out, T v) {
  auto u = static_cast<std::make_unsigned_t<T>>(v);
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

void PutString(std::string* out, std::string_view s) {
  PutInt<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

void PutHeaders(std::string* out, const HeaderList& headers) {
  PutInt<uint32_t>(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    PutString(out, name);
    PutString(out, value);
  }
}

template <typename T>
T LoadInt(const char* p) {
  std::make_unsigned_t<T> u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    u |= static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return static_cast<T>(u);
}

// Bounds-checked reader over one payload; any overrun marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_ && pos_ == data_.size(); }
  bool ok_so_far() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

  template <typename T>
  T Int() {
    if (!Need(sizeof(T))) return 0;
    T v = LoadInt<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::string String() {
    auto n = Int<uint32_t>();
    if (!Need(n)) return {};
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  HeaderList Headers() {
    HeaderList headers;
    auto n = Int<uint32_t>();
    for (uint32_t i = 0; i < n && ok_; ++i) {
      std::string name = String();
      std::string value = String();
      headers.emplace_back(std::move(name), std::move(value));
    }
    return headers;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

uint32_t RecordSeed(uint64_t first_seq) {
  std::string bytes;
  PutInt<uint64_t>(&bytes, first_seq);
  return Crc32c(bytes);
}

uint32_t SegmentHeader::record_seed() const { return version >= 2 ? RecordSeed(first_seq) : 0; }

std::string EncodeSegmentHeader(uint64_t first_seq) {
  std::string out(kSegmentMagic);
  PutInt<uint32_t>(&out, kJournalFormatVersion);
  PutInt<uint32_t>(&out, 0);
  PutInt<uint64_t>(&out, first_seq);
  PutInt<uint32_t>(&out, Crc32c(out));
  PutInt<uint32_t>(&out, 0);
  return out;
}

Result<SegmentHeader> DecodeSegmentHeader(std::string_view data) {
  if (data.size() < kSegmentHeaderSize || data.substr(0, 8) != kSegmentMagic ||
      LoadInt<uint32_t>(data.data() + 24) != Crc32c(data.substr(0, 24))) {
    return Status::Errno(EINVAL, "not an fsgate intent journal segment (bad header)");
  }
  auto version = LoadInt<uint32_t>(data.data() + 8);
  if (version > kJournalFormatVersion) {
    return Status::Errno(EPROTO, "intent journal format version " + std::to_string(version) +
                                     " is newer than this fsgate supports (" +
                                     std::to_string(kJournalFormatVersion) +
                                     "); refusing to start — run a newer fsgate");
  }
  return SegmentHeader{version, LoadInt<uint64_t>(data.data() + 16)};
}

void AppendIntentRecord(const Intent& intent, std::string* out) {
  size_t start = out->size();
  out->append(kRecordHeaderSize, '\0');
  PutU8(out, static_cast<uint8_t>(intent.op));
  PutInt<uint64_t>(out, intent.seq);
  PutString(out, intent.bucket);
  PutString(out, intent.key);
  PutString(out, intent.staging.path);
  PutInt<uint64_t>(out, intent.staging.ino);
  PutU8(out, intent.staging.delegated ? 1 : 0);
  PutInt<uint64_t>(out, intent.target_ino);
  const ObjectMeta& m = intent.meta;
  PutString(out, m.etag);
  PutInt<uint64_t>(out, m.size);
  PutInt<int64_t>(out, m.mtime_ns);
  PutString(out, m.content_type);
  PutHeaders(out, m.system_headers);
  PutHeaders(out, m.user_meta);
  PutHeaders(out, m.checksums);
  PutInt<int32_t>(out, m.parts_count);
  PutU8(out, intent.inline_data ? 1 : 0);
  if (intent.inline_data) PutString(out, *intent.inline_data);
  const bool format4 = !m.tags.empty() || !m.checksum_type.empty() || !m.part_checksums.empty();
  if (!m.part_sizes.empty() || format4) {
    PutInt<uint32_t>(out, static_cast<uint32_t>(m.part_sizes.size()));
    for (uint64_t size : m.part_sizes) PutInt<uint64_t>(out, size);
  }
  if (format4) {
    PutHeaders(out, m.tags);
    PutString(out, m.checksum_type);
    PutInt<uint32_t>(out, static_cast<uint32_t>(m.part_checksums.size()));
    for (const std::string& checksum : m.part_checksums) PutString(out, checksum);
  }

  std::string length;
  PutInt<uint32_t>(&length, static_cast<uint32_t>(out->size() - start - kRecordHeaderSize));
  std::memcpy(out->data() + start, length.data(), length.size());
}

void SealRecords(std::string* records, uint32_t seed) {
  for (size_t pos = 0; pos + kRecordHeaderSize <= records->size();) {
    const auto length = LoadInt<uint32_t>(records->data() + pos);
    std::string_view payload(records->data() + pos + kRecordHeaderSize, length);
    std::string crc;
    PutInt<uint32_t>(&crc, Crc32c(payload, seed));
    std::memcpy(records->data() + pos + 4, crc.data(), crc.size());
    pos += kRecordHeaderSize + length;
  }
}

std::optional<Intent> DecodeIntentRecord(std::string_view data, uint32_t seed, size_t* consumed) {
  if (data.size() < kRecordHeaderSize) return std::nullopt;
  auto length = LoadInt<uint32_t>(data.data());
  auto crc = LoadInt<uint32_t>(data.data() + 4);
  if (length == 0 || length > kMaxRecordPayload || data.size() - kRecordHeaderSize < length) {
    return std::nullopt;
  }
  std::string_view payload = data.substr(kRecordHeaderSize, length);
  if (Crc32c(payload, seed) != crc) return std::nullopt;

  Reader r(payload);
  Intent intent;
  auto op = r.Int<uint8_t>();
  intent.seq = r.Int<uint64_t>();
  intent.bucket = r.String();
  intent.key = r.String();
  intent.staging.path = r.String();
  intent.staging.ino = r.Int<uint64_t>();
  intent.staging.delegated = r.Int<uint8_t>() != 0;
  intent.target_ino = r.Int<uint64_t>();
  ObjectMeta& m = intent.meta;
  m.etag = r.String();
  m.size = r.Int<uint64_t>();
  m.mtime_ns = r.Int<int64_t>();
  m.content_type = r.String();
  m.system_headers = r.Headers();
  m.user_meta = r.Headers();
  m.checksums = r.Headers();
  m.parts_count = r.Int<int32_t>();
  if (r.Int<uint8_t>() != 0) intent.inline_data = std::make_shared<const std::string>(r.String());
  if (!r.at_end()) {
    const auto parts = r.Int<uint32_t>();
    for (uint32_t i = 0; i < parts && i < kMaxPartSizes && r.ok_so_far(); ++i) {
      m.part_sizes.push_back(r.Int<uint64_t>());
    }
  }
  if (!r.at_end()) {
    m.tags = r.Headers();
    m.checksum_type = r.String();
    const auto parts = r.Int<uint32_t>();
    for (uint32_t i = 0; i < parts && i < kMaxPartSizes && r.ok_so_far(); ++i) {
      m.part_checksums.push_back(r.String());
    }
  }
  // A record that passed its CRC but does not parse was written by a different
  // layout of the same version: never guess.
  if (!r.ok() || op < static_cast<uint8_t>(IntentOp::kCreate) ||
      op > static_cast<uint8_t>(IntentOp::kCheckpoint)) {
    return std::nullopt;
  }
  intent.op = static_cast<IntentOp>(op);
  *consumed = kRecordHeaderSize + length;
  return intent;
}

}  // namespace fsgate::dirops
