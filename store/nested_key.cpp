#include "store/nested_key.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

#include "base/log_text.h"
#include "fs/backend_util.h"
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

Result<size_t> FinishNests(fs::Backend& backend, const std::string& gateway_dir, bool fsync) {
  const std::string root = NestTempRoot(gateway_dir);
  size_t repaired = 0;
  // Depth first: each file's path under the root is <bucket>/<key>.
  std::function<Status(const std::string&)> walk = [&](const std::string& rel) -> Status {
    const std::string dir = rel.empty() ? root : root + "/" + rel;
    auto entries = backend.ReadDir(dir);
    if (!entries.ok()) return fs::IsMissing(entries.status()) ? Status::Ok() : entries.status();
    for (const fs::DirEntry& e : *entries) {
      const std::string child = rel.empty() ? e.name : rel + "/" + e.name;
      const std::string temp = root + "/" + child;
      auto st = backend.Stat(temp);
      if (!st.ok()) continue;
      if (st->is_dir) {
        if (Status s = walk(child); !s.ok()) return s;
        (void)backend.Rmdir(temp);
        continue;
      }
      const size_t slash = child.find('/');
      if (slash == std::string::npos) {
        (void)backend.Unlink(temp);
        continue;
      }
      const std::string bucket = child.substr(0, slash);
      const std::string key = child.substr(slash + 1);
      if (!backend.Stat(bucket).ok() || !ValidateKey(key).ok()) {
        spdlog::error("key nest: {} names no key of an existing bucket, left there",
                      LogField(temp));
        continue;
      }
      const std::string plain = ObjectPath(bucket, key);
      const std::string nested = NestedNode(bucket, key).path;
      auto at_plain = backend.Stat(plain);
      auto at_nested = backend.Stat(nested);
      // A power cut may keep both names of a rename: the file is in place.
      const bool in_place = (at_plain.ok() && at_plain->ino == st->ino) ||
                            (at_nested.ok() && at_nested->ino == st->ino);
      if (!in_place) {
        if (Status s = fs::MakeDirs(backend, plain, fsync); !s.ok()) {
          spdlog::error("key nest: cannot put back {} as {}/{}: {}", LogField(temp),
                        LogField(bucket), LogField(key), s.message());
          continue;
        }
        if (Status s = backend.RenameNoReplace(temp, nested); !s.ok()) {
          if (!s.IsErrno(EEXIST)) return s;
        } else {
          ++repaired;
          if (fsync) {
            if (Status sync = backend.SyncDir(plain); !sync.ok()) return sync;
          }
          continue;
        }
      }
      (void)backend.Unlink(temp);
    }
    return Status::Ok();
  };
  if (Status s = walk(""); !s.ok()) return s;
  if (fsync) (void)backend.SyncDir(root);
  return repaired;
}

}  // namespace fsgate::store
