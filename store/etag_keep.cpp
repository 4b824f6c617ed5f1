#include "store/etag_keep.h"

#include <charconv>
#include <cstring>
#include <new>

#include "store/dir_listing.h"

namespace fsgate::store {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case too: it would not round-trip
}

std::string Render(const std::array<uint8_t, 16>& md5, uint32_t parts) {
  std::string out(32, '\0');
  for (size_t i = 0; i < md5.size(); ++i) {
    out[2 * i] = kHex[md5[i] >> 4];
    out[2 * i + 1] = kHex[md5[i] & 15];
  }
  if (parts != 0) {
    out += '-';
    out += std::to_string(parts);
  }
  return out;
}

// "<32 lower-case hex digits>" or that with "-<N>", N a part count without
// leading zeros below kGeneral: what Render gives back byte for byte.
bool Compact(std::string_view etag, std::array<uint8_t, 16>& md5, uint32_t& parts,
             uint32_t general) {
  if (etag.size() < 32) return false;
  for (size_t i = 0; i < md5.size(); ++i) {
    int hi = HexValue(etag[2 * i]), lo = HexValue(etag[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    md5[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  parts = 0;
  if (etag.size() == 32) return true;
  std::string_view count = etag.substr(32);
  if (count.size() < 2 || count[0] != '-' || count[1] == '0') return false;
  count.remove_prefix(1);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), parts);
  return ec == std::errc() && end == count.data() + count.size() && parts != general;
}

}  // namespace

EtagKeep::EtagKeep(size_t slots)
    : slots_(slots), slot_(static_cast<Slot*>(std::calloc(slots == 0 ? 1 : slots, sizeof(Slot)))) {
  if (slot_ == nullptr) throw std::bad_alloc();
  strings_.emplace_back();  // index 0: the empty ACL
  index_.emplace(strings_.front(), 0);
}

size_t EtagKeep::BytesFor(size_t slots) { return sizeof(EtagKeep) + slots * sizeof(Slot); }

std::optional<FileAttrs> EtagKeep::Find(size_t slot, const fs::FileStat& st) const {
  if (slot >= slots_ || st.ctime_ns == 0) return std::nullopt;
  const Slot& s = slot_[slot];
  if (s.ctime_ns != st.ctime_ns || s.ino != st.ino || s.mtime_ns != st.mtime_ns ||
      s.size != st.size) {
    return std::nullopt;
  }
  FileAttrs attrs;
  if (s.parts == kGeneral) {
    uint32_t index;
    std::memcpy(&index, s.md5.data(), sizeof(index));
    attrs.etag = StringAt(index);
  } else {
    attrs.etag = Render(s.md5, s.parts);
  }
  attrs.acl = StringAt(s.acl);
  return attrs;
}

size_t EtagKeep::GrowthOf(const FileAttrs& attrs) const {
  size_t growth = 0;
  std::array<uint8_t, 16> md5;
  uint32_t parts;
  if (!Compact(attrs.etag, md5, parts, kGeneral) && !IndexOf(attrs.etag)) {
    growth += attrs.etag.size() + kStringOverhead;
  }
  if (!IndexOf(attrs.acl) && attrs.acl != attrs.etag) growth += attrs.acl.size() + kStringOverhead;
  return growth;
}

void EtagKeep::Keep(size_t slot, const fs::FileStat& st, const FileAttrs& attrs) {
  if (slot >= slots_ || st.ctime_ns == 0) return;
  Slot& s = slot_[slot];
  if (!Compact(attrs.etag, s.md5, s.parts, kGeneral)) {
    const uint32_t index = Intern(attrs.etag);
    std::memcpy(s.md5.data(), &index, sizeof(index));
    s.parts = kGeneral;
  }
  s.acl = Intern(attrs.acl);
  s.ino = st.ino;
  s.mtime_ns = st.mtime_ns;
  s.ctime_ns = st.ctime_ns;
  s.size = st.size;
}

size_t EtagKeep::CarryFrom(const DirListing& old_names, const EtagKeep& old,
                           const DirListing& names) {
  const size_t before = bytes();
  size_t i = 0, j = 0;
  while (i < old_names.size() && j < names.size() && j < slots_ && i < old.slots_) {
    const std::string_view a = old_names[i].sort_name, b = names[j].sort_name;
    if (a < b) {
      ++i;
    } else if (b < a) {
      ++j;
    } else {
      if (old.slot_[i].ctime_ns != 0) CopySlot(slot_[j], old.slot_[i], old);
      ++i;
      ++j;
    }
  }
  return bytes() - before;
}

void EtagKeep::CopySlot(Slot& to, const Slot& from, const EtagKeep& from_keep) {
  to = from;
  if (from.parts == kGeneral) {
    uint32_t index;
    std::memcpy(&index, from.md5.data(), sizeof(index));
    index = Intern(from_keep.StringAt(index));
    std::memcpy(to.md5.data(), &index, sizeof(index));
  }
  to.acl = Intern(from_keep.StringAt(from.acl));
}

void EtagKeep::Drop() {
  slots_ = 0;
  slot_.reset();
  index_.clear();
  strings_.clear();
  string_bytes_ = 0;
}

std::optional<uint32_t> EtagKeep::IndexOf(std::string_view s) const {
  auto it = index_.find(s);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

uint32_t EtagKeep::Intern(std::string_view s) {
  if (auto index = IndexOf(s)) return *index;
  const auto index = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(strings_.back(), index);
  string_bytes_ += s.size() + kStringOverhead;
  return index;
}

}  // namespace fsgate::store
