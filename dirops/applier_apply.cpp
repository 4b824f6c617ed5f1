// The applier's applying: one intent carried out on the backend (a create
// linked into place, an unlink), with retries and backoff for errors that may
// pass, and the record of a permanent failure. Also recovery's replay of a
// journal intent, which decides from the filesystem whether it already landed.
#include "dirops/applier.h"

#include <spdlog/spdlog.h>

#include "base/log_text.h"
#include "dirops/displace.h"
#include "dirops/inline_file.h"
#include "dirops/node_attrs.h"
#include "fs/backend_util.h"
#include "metrics/errno_name.h"
#include "metrics/metrics.h"

namespace fsgate::dirops {

namespace {

// Errors that may pass: the op is tried again. Everything else (a name conflict,
// a missing top, EROFS, EACCES, ...) will not get better by waiting.
bool Retryable(const Status& s) {
  switch (s.err()) {
    case EIO:
    case ENOSPC:
    case EDQUOT:
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ENOMEM:
    case ETIMEDOUT:
    case ESTALE:
      return true;
    default:
      return false;
  }
}

// The errno a permanent failure is counted under; a refusal without one gets
// the errno the filesystem would have given (a name conflict is a file where a
// directory is needed: ENOTDIR).
int FailureErrno(const Status& s) {
  if (s.err() != 0) return s.err();
  if (s.Is(StatusCode::kNotFound)) return ENOENT;
  if (s.Is(StatusCode::kAlreadyExists)) return ENOTDIR;
  return EINVAL;
}

// Readies the staging file in one open before it is linked: the attributes
// with the create's seq stamp, the body when it rode in the journal, and the
// mtime the create was answered with (so it does not move when applied).
//
// Attributes before the body: on CephFS a setxattr is an MDS request that
// revokes this client's Xx cap, and a client holding a dirty size and mtime
// (a body written) must flush them in its answer to the revoke: one more
// update the MDS journals and acknowledges. Written after, the body's size
// and mtime go with the rename's revoke, which flushes the mtime set below
// anyway. Either order leaves the same file; a replay redoes both (the file
// is linked only after this).
Status PrepareStaging(fs::Backend& backend, const NodeAttrNames& names, const Intent& in) {
  auto file = backend.Open(in.staging.path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  if (Status s = WriteFileAttrs(**file, names, in.attrs, in.seq); !s.ok()) return s;
  if (in.inline_data) {
    if (Status s = WriteInlineBody(**file, *in.inline_data); !s.ok()) return s;
  }
  if (Status s = (*file)->SetMtime(in.mtime_ns); !s.ok()) return s;
  return (*file)->Close();
}

}  // namespace

Applier::Outcome Applier::ApplyWithRetries(const Op& op, Status* last, int* attempts) {
  auto backoff = options_.backoff;
  for (int attempt = 1;; ++attempt) {
    *attempts = attempt;
    *last = ApplyOnce(op.intent);
    if (last->ok()) return Outcome::kApplied;
    if (!Retryable(*last) || attempt >= options_.max_attempts) return Outcome::kFailed;
    spdlog::warn("async {}: apply of {}/{} failed (errno={} {}), retry {} in {} ms",
                 OpName(op.intent.op), LogField(op.intent.top), LogField(op.intent.name),
                 last->err(), LogText(last->message()), attempt, backoff.count());
    std::unique_lock lock(mu_);
    if (work_.wait_for(lock, backoff, [&] { return stop_; })) return Outcome::kStopped;
    backoff *= 2;
  }
}

Status Applier::ApplyOnce(const Intent& intent) {
  return intent.op == IntentOp::kCreate ? ApplyCreate(intent) : ApplyUnlink(intent);
}

Status Applier::ApplyCreate(const Intent& in) {
  if (Status s = PrepareStaging(backend_, apply_ns_.attr_names(), in); !s.ok()) return s;
  if (!in.displace_to.empty()) {
    // The one sync of an apply: the moved file must be durable at its new
    // path before the rename below can be (displace.h). Repeated by a retry
    // or a replay, it finds the file already there.
    auto moved =
        DisplaceFile(backend_, NodeFsPath(in.top, in.name), in.displace_to, options_.fsync);
    if (!moved.ok()) return moved.status();
  }
  // The applier's SyncNamespace links the file without syncs: the applier's
  // batched syncfs makes it durable before retiring.
  fs::FileStat linked;  // what the name holds right after the rename
  StagedNode node;
  node.file = in.staging;
  node.attrs = in.attrs;
  node.mtime_ns = in.mtime_ns;
  auto published = apply_ns_.PublishLinked(in.top, in.name, std::move(node), {}, &linked);
  if (!published.ok()) return published.status();
  if (!in.drop.empty()) {
    if (Status s = DropFile(backend_, in.drop); !s.ok()) return s;
  }
  caps_.Grant(fs::ParentPath(NodeFsPath(in.top, in.name)));
  if (linked.ino != 0 && linked.ino != in.staging.ino) {
    // The filesystem is the authority: the node is whatever the name holds now.
    // The line's format is fixed (DESIGN.md): "key=" names the node's path.
    spdlog::warn("async create: inode number mismatch deleg_ino={:#x} target={:#x} key={}/{}",
                 in.staging.ino, linked.ino, LogField(in.top), LogField(in.name));
    metrics_.InoMismatch();
  }
  return Status::Ok();
}

Status Applier::ApplyUnlink(const Intent& in) {
  // The one sync of such an apply, as for a displacing create: the marker and
  // the moved file durable before the unlink can be. Repeated by a retry, it
  // finds both there.
  if (Status s = KeepBeforeUnlink(backend_, NodeFsPath(in.top, in.name), in.displace_to, in.marker,
                                  options_.fsync);
      !s.ok()) {
    return s;
  }
  OpOptions op;
  op.prune_now = false;
  if (Status s = apply_ns_.RemoveName(in.top, in.name, op); !s.ok()) return s;
  if (!in.drop.empty()) {
    if (Status s = DropFile(backend_, in.drop); !s.ok()) return s;
  }
  std::lock_guard lock(mu_);
  to_prune_.emplace(in.top, fs::ParentPath(NodeFsPath(in.top, in.name)));
  return Status::Ok();
}

// The rename that consumed the staging name may have become durable before
// the body the applier wrote into the file: ext4 commits every name change
// with any fsync (one journal for the filesystem) or a sync of the directory
// by another op, while delayed allocation writes the data later — after a
// power cut the node is there, empty. A body that rode in the journal is
// written again while the node still holds this create's file (its seq
// stamp; a later create's file is left alone); recovery's syncfs then makes it
// durable. Bodies staged as files were synced before the create was answered.
Status Applier::RestoreInlineBody(const Intent& in) {
  if (!in.inline_data) return Status::Ok();
  const std::string path = NodeFsPath(in.top, in.name);
  auto seq = ReadFileSeq(backend_, path, apply_ns_.attr_names());
  if (!seq.ok()) return fs::IsMissing(seq.status()) ? Status::Ok() : seq.status();
  if (*seq != in.seq) return Status::Ok();
  auto file = backend_.Open(path, fs::Backend::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  if (Status s = WriteInlineBody(**file, *in.inline_data); !s.ok()) return s;
  if (Status s = (*file)->SetMtime(in.mtime_ns); !s.ok()) return s;
  return (*file)->Close();
}

Status Applier::Replay(const Intent& in) {
  const std::string path = NodeFsPath(in.top, in.name);
  // An op found applied: its drop may not have been durable, and repeating it
  // is harmless (OpOptions::drop). Its displacement and marker were durable
  // before its change of the name could be (displace.h), and are not made
  // again: a marker removed since must stay removed.
  auto applied = [&] { return in.drop.empty() ? Status::Ok() : DropFile(backend_, in.drop); };
  if (in.op == IntentOp::kCreate) {
    // The staging name is consumed by the rename: gone means already applied.
    auto st = backend_.Stat(in.staging.path);
    if (!st.ok()) {
      if (!fs::IsMissing(st.status())) return st.status();
      if (Status s = RestoreInlineBody(in); !s.ok()) return s;
      return applied();
    }
    // Staging names are random and never reused: the file is the one the
    // intent named even under another inode number, as in a copy of the root
    // (a restored backup, an older layout's root unpacked elsewhere). Skipping
    // it would lose the answered create, and the sweep would remove its data.
    if (st->ino != in.staging.ino) {
      spdlog::warn(
          "replay: {} is inode {:#x}, the intent recorded {:#x} (a copied root?); "
          "applying it as answered: seq={} path={}/{}",
          LogField(in.staging.path), st->ino, in.staging.ino, in.seq, LogField(in.top),
          LogField(in.name));
    }
  } else {
    auto st = backend_.Stat(path);
    if (!st.ok() && fs::IsMissing(st.status())) {
      // Unlinked before the crash, maybe not pruned: finish the prune.
      (void)apply_ns_.PruneEmptyDirs(in.top, fs::ParentPath(path), /*may_wait=*/true);
      return applied();
    }
    if (!st.ok()) return st.status();
    if (!st->is_regular) return applied();
    // A later async create's file is never the one this unlink was answered against.
    auto seq = ReadFileSeq(backend_, path, apply_ns_.attr_names());
    const uint64_t file_seq = seq.ok() ? *seq : 0;
    if (file_seq > in.seq) return applied();
    // Another file holds the name: unlink it only if an older async create put it there.
    if (in.target_ino != 0 && st->ino != in.target_ino && file_seq == 0) return applied();
  }
  Op op{in, std::chrono::steady_clock::now()};
  Status last;
  int attempts = 0;
  switch (ApplyWithRetries(op, &last, &attempts)) {
    case Outcome::kApplied:
      return Status::Ok();
    case Outcome::kStopped:
      return Status::Errno(ECANCELED, "recovery stopped");
    case Outcome::kFailed:
      if (Retryable(last)) return last;  // keep the journal, refuse to start
      RecordFailure(in, last, attempts);
      return Status::Ok();
  }
  return Status::Ok();
}

void Applier::RecordFailure(const Intent& in, const Status& status, int attempts) {
  const int err = FailureErrno(status);
  // "key=" names the node under its top directory, as operators grep for it.
  spdlog::error(
      "async {} failed permanently: top={} key={} seq={} errno={} ({}) after {} "
      "attempt(s): {}",
      OpName(in.op), LogField(in.top), LogField(in.name), in.seq, err, metrics::ErrnoName(err),
      attempts, LogText(status.message()));
  metrics_.AsyncError(MetricOp(in.op), err);
  if (in.op == IntentOp::kCreate) (void)backend_.Unlink(in.staging.path);
  // Readers now see what the filesystem holds.
  overlay_.Resolve(in.top, in.name, in.seq);
  std::lock_guard lock(mu_);
  failed_.push_back(
      {in.op, in.top, in.name, in.seq, err, status, std::chrono::system_clock::now()});
  ++failed_total_;
  while (failed_.size() > options_.max_failed_listed) failed_.pop_front();
}

}  // namespace fsgate::dirops
