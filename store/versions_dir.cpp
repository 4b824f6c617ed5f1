#include "store/versions_dir.h"

#include <algorithm>

#include "fs/backend_util.h"
#include "store/store_layout.h"

namespace fsgate::store {

std::string VersionsRootOf(const std::string& bucket) {
  return std::string(layout::kVersions) + "/" + bucket;
}

std::string VersionDirOf(const std::string& bucket, const std::string& key) {
  return VersionsRootOf(bucket) + "/" + key;
}

Result<std::vector<VersionName>> ReadVersionNames(fs::Backend& backend, const std::string& dir) {
  auto entries = backend.ReadDir(dir);
  if (!entries.ok()) {
    if (fs::IsMissing(entries.status())) return std::vector<VersionName>{};
    return entries.status();
  }
  std::vector<std::pair<std::string, VersionName>> found;
  for (const auto& entry : *entries) {
    if (entry.type == fs::DirEntry::Type::kDirectory) continue;
    if (auto name = DecodeVersionName(entry.name)) found.emplace_back(entry.name, *name);
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<VersionName> names;
  names.reserve(found.size());
  for (auto& [text, name] : found) names.push_back(name);
  return names;
}

void AddPendingVersionNames(std::vector<VersionName>& names,
                            const std::vector<dirops::DisplacedView>& moved,
                            const std::string& dir) {
  std::vector<std::pair<std::string, VersionName>> all;
  for (const VersionName& name : names) all.emplace_back(EncodeVersionName(name), name);
  const size_t on_disk = all.size();
  for (const auto& [path, view] : moved) {
    if (!path.starts_with(dir) || path.size() <= dir.size() || path[dir.size()] != '/') continue;
    const std::string entry = path.substr(dir.size() + 1);
    auto name = DecodeVersionName(entry);
    if (!name || entry.find('/') != std::string::npos) continue;
    // Applied between the caller's two reads: on disk too.
    auto same = [&entry](const auto& e) { return e.first == entry; };
    if (std::none_of(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(on_disk), same)) {
      all.emplace_back(entry, *name);
    }
  }
  if (all.size() == on_disk) return;
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  names.clear();
  for (auto& [text, name] : all) names.push_back(name);
}

Status MakeVersionDir(fs::Backend& backend, const std::string& bucket, const std::string& key,
                      bool fsync) {
  Status s = fs::MakeDirs(backend, VersionDirOf(bucket, key), fsync);
  // A version entry of a parent key stands where this key's directory goes.
  if (s.IsErrno(EEXIST) || s.IsErrno(ENOTDIR)) {
    return Status::Error(StatusCode::kAlreadyExists, "a version entry stands at " + key);
  }
  return s;
}

Status CheckVersionDir(fs::Backend& backend, const std::string& bucket, const std::string& key) {
  const std::string root = VersionsRootOf(bucket);
  // The nearest of the directory and those above it that exists must be one.
  for (std::string dir = VersionDirOf(bucket, key); dir.size() > root.size();
       dir = fs::ParentPath(dir)) {
    auto st = backend.Stat(dir);
    if (st.ok()) {
      if (st->is_dir) return Status::Ok();
      return Status::Error(StatusCode::kAlreadyExists, "a version entry stands at " + key);
    }
    if (!fs::IsMissing(st.status())) return st.status();
  }
  return Status::Ok();
}

void PruneVersionDirs(fs::Backend& backend, const std::string& bucket, std::string dir) {
  const std::string root = VersionsRootOf(bucket);
  while (dir.size() > root.size() && dir.starts_with(root + "/")) {
    if (!backend.Rmdir(dir).ok()) return;
    dir = fs::ParentPath(dir);
  }
}

namespace {

void RemoveEmptyTree(fs::Backend& backend, const std::string& dir) {
  auto entries = backend.ReadDir(dir);
  if (!entries.ok()) return;
  for (const auto& entry : *entries) {
    if (entry.type == fs::DirEntry::Type::kDirectory)
      RemoveEmptyTree(backend, dir + "/" + entry.name);
  }
  (void)backend.Rmdir(dir);
}

}  // namespace

void RemoveVersionsRoot(fs::Backend& backend, const std::string& bucket) {
  RemoveEmptyTree(backend, VersionsRootOf(bucket));
}

Status CreateMarkerEntry(fs::Backend& backend, const std::string& dir, const VersionName& name,
                         bool fsync) {
  auto file =
      backend.Open(dir + "/" + EncodeVersionName(name), fs::Backend::OpenMode::kCreateExclusive);
  if (!file.ok()) return file.status();
  if (Status s = (*file)->Close(); !s.ok()) return s;
  return fsync ? backend.SyncDir(dir) : Status::Ok();
}

}  // namespace fsgate::store
