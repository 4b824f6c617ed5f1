// DirListing: the sorted names of one directory, as a listing reads them,
// stored compactly: every name in one arena, an 8-byte slot per name.
//
// Why: a std::string per name (with its type flags) took 40 bytes plus a
// heap block for names past 15 bytes — 72 bytes for a 17-byte camera name
// ("IMG_00000001.jpeg"), so 1,000,000 of them were 72 MB and passed the
// listing keep's bound together with its ETags, and a page of such a
// directory read and sorted it all again. Here such a name costs 8 + 17
// bytes (bytes() counts them exactly), and one allocation per directory
// instead of one per name.
//
// A slot's offset is 32-bit: a directory's names total at most 4 GiB (a
// name is at most 255 bytes, so that is over 16 million of the longest);
// Builder::Finish refuses a larger one with EFBIG.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fsgate::store {

class DirListing {
  struct Slot {
    uint32_t offset = 0;  // into arena_
    uint16_t size = 0;    // of sort_name: 256 at most
    uint8_t flags = 0;    // kDir | kNested
  };
  static constexpr uint8_t kDir = 1;
  static constexpr uint8_t kNested = 2;

 public:
  struct Entry {
    std::string_view
        sort_name;  // the name, plus "/" for a directory (S3 order of a depth-first walk)
    bool is_dir = false;
    // The place of the object nested in the directory `sort_name` (nested_key.h).
    bool nested = false;
  };

  // Collects entries in any order; Finish sorts them by sort_name.
  class Builder {
   public:
    // `name` without the "/" a directory sorts with: Add appends it.
    void Add(std::string_view name, bool is_dir, bool nested = false);
    [[nodiscard]] Result<std::shared_ptr<const DirListing>> Finish() &&;

   private:
    std::string arena_;
    std::vector<DirListing::Slot> slots_;
    bool too_big_ = false;  // the names passed 4 GiB
  };

  size_t size() const { return slots_.size(); }
  Entry operator[](size_t i) const;
  // The index of the first entry whose sort_name is not less than `name`.
  size_t LowerBound(std::string_view name) const;
  // Memory held: the arena and the slots, with their capacity.
  size_t bytes() const {
    return sizeof(*this) + arena_.capacity() + slots_.capacity() * sizeof(Slot);
  }

 private:
  void SortSlots();
  std::string_view NameOf(const Slot& slot) const {
    return std::string_view(arena_).substr(slot.offset, slot.size);
  }

  std::string arena_;
  std::vector<Slot> slots_;
};

}  // namespace fsgate::store
