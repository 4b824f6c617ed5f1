#include "store/nested_key.h"

#include <algorithm>

#include "store/key_path.h"

namespace fsgate::store {

dirops::NodePath NestedNode(std::string_view bucket, std::string_view key) {
  std::string path = ObjectPath(bucket, key);
  path.append("/").append(kNestedObjectName);
  return dirops::NodePath{std::move(path), dirops::NodeKind::kFile};
}

std::string NestTempRoot(const std::string& gateway_dir) { return gateway_dir + "/nest"; }

std::string NestTempPath(const std::string& gateway_dir, std::string_view bucket,
                         std::string_view key) {
  return NestTempRoot(gateway_dir) + "/" + ObjectPath(bucket, key);
}

std::vector<dirops::PendingNode> PendingKeys(std::vector<dirops::PendingNode> pending,
                                             const std::string& prefix, const std::string& marker) {
  bool renamed = false;
  for (auto& [name, view] : pending) {
    std::string_view n = name;
    if (n.size() > kNestedObjectName.size() + 1 && n.ends_with(kNestedObjectName) &&
        n[n.size() - kNestedObjectName.size() - 1] == '/') {
      name.resize(n.size() - kNestedObjectName.size() - 1);
      renamed = true;
    }
  }
  if (!renamed) return pending;
  std::erase_if(pending, [&](const dirops::PendingNode& p) {
    return !p.first.starts_with(prefix) || p.first <= marker;
  });
  // By key; of two entries of one key, the create first (kept by unique).
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second.has_value() && !b.second.has_value();
  });
  pending.erase(std::unique(pending.begin(), pending.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                pending.end());
  return pending;
}

}  // namespace fsgate::store
