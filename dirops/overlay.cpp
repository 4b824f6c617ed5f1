#include "dirops/overlay.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <shared_mutex>

#include "dirops/inline_file.h"

namespace fsgate::dirops {

NodeView OverlayEntry::View() const {
  NodeView v;
  v.attrs = attrs;
  v.size = size;
  v.mtime_ns = mtime_ns;
  v.ino = ino;
  if (inline_data) {
    v.data = MakeInlineFile(inline_data, mtime_ns);
  } else {
    v.data = file;
  }
  return v;
}

void Overlay::Put(const std::string& top, const std::string& name, OverlayEntry entry,
                  std::vector<DisplacedNode> displaced) {
  // The entry replaced is dropped after the lock is released: it may hold the
  // last reference to an open staging file, and closing it is a syscall.
  OverlayEntryPtr published = std::make_shared<const OverlayEntry>(std::move(entry));
  std::lock_guard lock(mu_);
  if (!displaced.empty()) {
    auto& nodes = displaced_[{top, name}];
    for (DisplacedNode& d : displaced) nodes.push_back(std::move(d));
  }
  auto [it, inserted] = tops_[top].try_emplace(name);
  std::swap(it->second, published);
  if (inserted) ++size_;
}

OverlayEntryPtr Overlay::Get(const std::string& top, const std::string& name) const {
  std::shared_lock lock(mu_);
  auto b = tops_.find(top);
  if (b == tops_.end()) return nullptr;
  auto it = b->second.find(name);
  if (it == b->second.end()) return nullptr;
  return it->second;
}

std::vector<DisplacedNode> Overlay::Displaced(const std::string& top,
                                              const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = displaced_.find({top, name});
  return it == displaced_.end() ? std::vector<DisplacedNode>{} : it->second;
}

void Overlay::Resolve(const std::string& top, const std::string& name, uint64_t seq) {
  OverlayEntryPtr resolved;          // dropped after the lock is released, as in Put()
  std::vector<DisplacedNode> moved;  // likewise: its view may hold an open file
  std::lock_guard lock(mu_);
  if (auto d = displaced_.find({top, name}); d != displaced_.end()) {
    auto& nodes = d->second;
    auto at = std::stable_partition(nodes.begin(), nodes.end(),
                                    [seq](const DisplacedNode& n) { return n.seq != seq; });
    std::move(at, nodes.end(), std::back_inserter(moved));
    nodes.erase(at, nodes.end());
    if (nodes.empty()) displaced_.erase(d);
  }
  auto b = tops_.find(top);
  if (b == tops_.end()) return;
  auto it = b->second.find(name);
  if (it == b->second.end() || it->second->seq != seq) return;
  resolved = std::move(it->second);
  b->second.erase(it);
  --size_;
  if (b->second.empty()) tops_.erase(b);
}

OverlayRange Overlay::Range(const std::string& top, const std::string& prefix,
                            const std::string& marker) const {
  OverlayRange out;
  std::shared_lock lock(mu_);
  auto b = tops_.find(top);
  if (b == tops_.end()) return out;
  const auto& names = b->second;
  auto it = marker > prefix ? names.upper_bound(marker) : names.lower_bound(prefix);
  for (; it != names.end() && it->first.starts_with(prefix); ++it) out.emplace_back(*it);
  return out;
}

bool Overlay::HasCreateUnder(const std::string& top, const std::string& prefix) const {
  std::shared_lock lock(mu_);
  auto b = tops_.find(top);
  if (b == tops_.end()) return false;
  for (auto it = b->second.lower_bound(prefix);
       it != b->second.end() && it->first.starts_with(prefix); ++it) {
    if (!it->second->tombstone) return true;
  }
  return false;
}

size_t Overlay::size() const {
  std::shared_lock lock(mu_);
  return size_;
}

std::vector<PendingNode> PendingNodes(const OverlayRange& range) {
  std::vector<PendingNode> out;
  out.reserve(range.size());
  for (const auto& [name, entry] : range) {
    if (entry->tombstone) {
      out.emplace_back(name, std::nullopt);
      continue;
    }
    // No open data: a listing reads the attributes, size and mtime alone.
    NodeView view;
    view.attrs = entry->attrs;
    view.size = entry->size;
    view.mtime_ns = entry->mtime_ns;
    view.ino = entry->ino;
    out.emplace_back(name, std::move(view));
  }
  return out;
}

}  // namespace fsgate::dirops
