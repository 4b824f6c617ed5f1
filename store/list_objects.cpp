// ListObjects: delimiter folding over the namespace's key cursor.
#include "store/fs_object_store.h"
#include "store/key_cursor.h"
#include "store/nested_key.h"

namespace fsgate::store {

Result<ListResult> FsObjectStore::ListObjects(const std::string& bucket,
                                              const ListRequest& request) {
  if (Status s = CheckBucket(bucket); !s.ok()) return s;
  ListResult result;
  if (request.max_keys == 0) return result;
  // No file of the bucket moves into its directory during the page.
  std::shared_lock<std::shared_mutex> nest_lock;
  if (options_.nest_key_conflicts) nest_lock = nest_locks_.LockListing(bucket);
  // The pending entries first: an op applied between the two reads is then
  // seen on disk, never missed by both.
  auto pending = ns_->Pending(bucket, request.prefix, request.marker);
  if (!pending.ok()) return S3StatusOf(pending.status(), request.prefix);
  auto cursor = MergePending(PendingKeys(std::move(*pending), request.prefix, request.marker),
                             MakeDirKeyCursor(*backend_, bucket, request.prefix, request.marker,
                                              &listing_cache_, options_.nest_key_conflicts));
  size_t count = 0;
  for (;;) {
    auto next = cursor->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    ListEntry& entry = **next;
    if (!request.delimiter.empty()) {
      size_t pos = entry.key.find(request.delimiter, request.prefix.size());
      if (pos != std::string::npos) {
        std::string common = entry.key.substr(0, pos + request.delimiter.size());
        // The rest of this group is folded into `common`: never read it.
        cursor->SkipPrefix(common);
        // A marker that is itself a common prefix (the previous page's last) is not repeated.
        if (common == request.marker) continue;
        if (count == request.max_keys) {
          result.truncated = true;
          break;
        }
        result.next_marker = common;
        result.common_prefixes.push_back(std::move(common));
        ++count;
        continue;
      }
    }
    if (count == request.max_keys) {
      result.truncated = true;
      break;
    }
    result.next_marker = entry.key;
    result.objects.push_back(std::move(entry));
    ++count;
  }
  return result;
}

}  // namespace fsgate::store
