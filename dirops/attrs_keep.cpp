#include "dirops/attrs_keep.h"

#include <cstring>
#include <new>

namespace fsgate::dirops {

size_t AttrsKeep::SlotOf(uint64_t ino) {
  // Inode numbers of one directory's files are often near each other: mixed,
  // so that neighbours do not take turns in a few slots.
  ino *= 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(ino >> 32) % kSlots;
}

std::optional<std::string> AttrsKeep::Find(const fs::FileStat& st) const {
  Slot* slots = slots_.load(std::memory_order_acquire);
  if (slots == nullptr || st.ctime_ns == 0) return std::nullopt;
  const size_t i = SlotOf(st.ino);
  std::lock_guard<std::mutex> lock(StripeOf(i));
  const Slot& s = slots[i];
  if (s.ctime_ns != st.ctime_ns || s.ino != st.ino || s.mtime_ns != st.mtime_ns ||
      s.size != st.size) {
    return std::nullopt;
  }
  return std::string(s.blob, s.length);
}

void AttrsKeep::Keep(const fs::FileStat& st, std::string_view blob, int64_t now_ns) {
  if (!fs::CtimeSettled(st, now_ns) || blob.size() > kMaxBlob) return;
  std::call_once(allocated_, [this] {
    auto* slots = static_cast<Slot*>(std::calloc(kSlots, sizeof(Slot)));
    if (slots == nullptr) throw std::bad_alloc();
    slots_.store(slots, std::memory_order_release);
  });
  const size_t i = SlotOf(st.ino);
  std::lock_guard<std::mutex> lock(StripeOf(i));
  Slot& s = slots_.load(std::memory_order_relaxed)[i];
  s.ino = st.ino;
  s.ctime_ns = st.ctime_ns;
  s.mtime_ns = st.mtime_ns;
  s.size = st.size;
  s.length = static_cast<uint16_t>(blob.size());
  std::memcpy(s.blob, blob.data(), blob.size());
}

}  // namespace fsgate::dirops
