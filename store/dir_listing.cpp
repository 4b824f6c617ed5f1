#include "store/dir_listing.h"

#include <algorithm>
#include <cerrno>
#include <limits>

namespace fsgate::store {

void DirListing::Builder::Reserve(size_t entries, size_t name_bytes) {
  slots_.reserve(entries);
  arena_.reserve(name_bytes);
}

void DirListing::Builder::Add(std::string_view name, bool is_dir, bool nested) {
  const size_t size = name.size() + (is_dir ? 1 : 0);
  if (arena_.size() + size > std::numeric_limits<uint32_t>::max() ||
      size > std::numeric_limits<uint16_t>::max()) {
    too_big_ = true;
    return;
  }
  slots_.push_back(Slot{static_cast<uint32_t>(arena_.size()), static_cast<uint16_t>(size),
                        static_cast<uint8_t>((is_dir ? kDir : 0) | (nested ? kNested : 0))});
  arena_.append(name);
  if (is_dir) arena_.push_back('/');
}

Result<std::shared_ptr<const DirListing>> DirListing::Builder::Finish() && {
  if (too_big_) return Status::Errno(EFBIG, "directory names over 4 GiB");
  auto listing = std::make_shared<DirListing>();
  listing->arena_ = std::move(arena_);
  listing->arena_.shrink_to_fit();
  listing->slots_ = std::move(slots_);
  listing->slots_.shrink_to_fit();
  const DirListing& l = *listing;
  std::sort(listing->slots_.begin(), listing->slots_.end(),
            [&l](const Slot& a, const Slot& b) { return l.NameOf(a) < l.NameOf(b); });
  return std::shared_ptr<const DirListing>(std::move(listing));
}

DirListing::Entry DirListing::operator[](size_t i) const {
  const Slot& slot = slots_[i];
  return Entry{NameOf(slot), (slot.flags & kDir) != 0, (slot.flags & kNested) != 0};
}

size_t DirListing::LowerBound(std::string_view name) const {
  auto it = std::lower_bound(slots_.begin(), slots_.end(), name,
                             [this](const Slot& s, std::string_view v) { return NameOf(s) < v; });
  return static_cast<size_t>(it - slots_.begin());
}

}  // namespace fsgate::store
