// ListObjectVersions: the bucket's keys (merged with those that only have a
// history, history_cursor.cpp), delimiter folding as ListObjects, and each
// key's versions newest first.
//
// A page reads the names of one key's history directory per key it lists
// (ReadVersionNames) and opens only the versions it returns: a key with
// 10,000 versions listed 1000 at a time costs one directory read of 10,000
// names and 1000 opens per page, never the bucket's whole history. Measured
// through boto3 on a local ext4 disk: 10,100 versions (10,000 of one key) in
// 11 pages of 1000, 56-811 ms a page.
#include "store/fs_object_store.h"
#include "store/key_cursor.h"
#include "store/nested_key.h"
#include "store/object_meta_codec.h"
#include "store/versions_dir.h"

namespace fsgate::store {

Result<VersionListResult> FsObjectStore::ListObjectVersions(const std::string& bucket,
                                                            const VersionListRequest& request) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  // No page walks past a key while its file moves to its nested name.
  std::shared_lock<std::shared_mutex> nest_lock;
  if (options_.nest_key_conflicts) nest_lock = nest_locks_.LockListing(bucket);
  VersionListResult result;
  if (request.max_keys == 0) return result;
  size_t count = 0;
  // Lists key's versions after `after` (an id; empty: from the newest); false
  // once the page is full.
  auto list_key = [&](const std::string& key, const std::string& after) -> Result<bool> {
    auto history = LoadHistory(bucket, key);
    if (!history.ok()) return history.status();
    std::vector<VersionName> names;
    if (history->plain) names.push_back(history->plain_name);
    names.insert(names.end(), history->older.begin(), history->older.end());
    size_t first = 0;
    if (!after.empty()) {
      while (first < names.size() && names[first].S3Id() != after) ++first;
      first = first == names.size() ? 0 : first + 1;
    }
    for (size_t i = first; i < names.size(); ++i) {
      if (count == request.max_keys) {
        result.truncated = true;
        return false;
      }
      VersionListEntry entry;
      entry.key = key;
      entry.is_latest = i == 0;
      entry.delete_marker = names[i].delete_marker;
      if (i == 0 && history->plain) {
        entry.meta = history->plain->meta;
      } else if (!names[i].delete_marker) {
        auto found = OpenEntry(bucket, key, names[i]);
        if (!found.ok()) return found.status();
        entry.meta = std::move(found->meta);
      } else {
        entry.meta.mtime_ns = static_cast<int64_t>(names[i].stamp);
      }
      entry.meta.version_id = names[i].S3Id();
      result.next_key_marker = key;
      result.next_version_id_marker = entry.meta.version_id;
      result.versions.push_back(std::move(entry));
      ++count;
    }
    return true;
  };

  if (!request.version_id_marker.empty() && request.key_marker.starts_with(request.prefix)) {
    auto more = list_key(request.key_marker, request.version_id_marker);
    if (!more.ok()) return more.status();
    if (!*more) return result;
  }
  auto pending = ns_->Pending(bucket, request.prefix, request.key_marker);
  if (!pending.ok()) return S3StatusOf(pending.status(), request.prefix);
  auto keys = PendingKeys(std::move(*pending), request.prefix, request.key_marker);
  // A key an answered DELETE left with a delete marker may have its history
  // only in the engine until applied: its pending unlink hides the plain
  // file, not the key, which is listed with those that have a history (and
  // lists nothing when it has none).
  std::vector<dirops::PendingNode> deleted;
  dirops::NodeView listed;  // only its key is used
  listed.attrs = EncodeObjectAttrs(ObjectMeta{}, false);
  for (const auto& [key, view] : keys) {
    if (!view) deleted.emplace_back(key, listed);
  }
  auto cursor = UnionKeys(
      MergePending(std::move(keys),
                   MakeDirKeyCursor(*backend_, bucket, request.prefix, request.key_marker, nullptr,
                                    options_.nest_key_conflicts)),
      MergePending(std::move(deleted),
                   MakeHistoryKeyCursor(*backend_, bucket, request.prefix, request.key_marker)));
  for (;;) {
    auto next = cursor->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const std::string& key = (*next)->key;
    if (!request.delimiter.empty()) {
      size_t pos = key.find(request.delimiter, request.prefix.size());
      if (pos != std::string::npos) {
        std::string common = key.substr(0, pos + request.delimiter.size());
        cursor->SkipPrefix(common);
        if (common == request.key_marker) continue;
        if (count == request.max_keys) {
          result.truncated = true;
          break;
        }
        result.next_key_marker = common;
        result.next_version_id_marker.clear();
        result.common_prefixes.push_back(std::move(common));
        ++count;
        continue;
      }
    }
    auto more = list_key(key, "");
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return result;
}

}  // namespace fsgate::store
