#include "gateway/backend_factory.h"

#include "build_config.h"
#include "fs/cephfs_backend.h"
#include "fs/fault_backend.h"
#include "fs/posix_backend.h"
#include "store/s3_errors.h"

namespace fsgate::gateway {

namespace {

Result<std::unique_ptr<fs::Backend>> MakeBaseBackend(const ServeConfig& config) {
  if (config.backend == BackendKind::kPosix) return fs::MakePosixBackend(config.root);
#if FSGATE_HAVE_CEPHFS
  fs::CephfsOptions options;
  options.conf_file = config.ceph_conf;
  options.id = config.ceph_id;
  options.fs_name = config.ceph_fs;
  options.root = config.ceph_root;
  return fs::MakeCephfsBackend(options);
#else
  return S3Error(s3err::kNotImplemented,
                 "the cephfs backend is not available in this build (no libcephfs-dev)");
#endif
}

}  // namespace

Result<std::unique_ptr<fs::Backend>> MakeBackend(const ServeConfig& config) {
  auto backend = MakeBaseBackend(config);
  if (!backend.ok()) return backend;
  if (config.test_apply_delay_ms <= 0 && config.test_swap_inode_every <= 0 &&
      config.test_faults.empty()) {
    return backend;
  }
  // Test hooks: the fault-injecting decorator slows every rename (the
  // applier's link into place) and unlink, swaps inodes under names, or
  // injects the faults given as rule specs.
  auto fault = std::make_unique<fs::FaultBackend>(std::move(*backend));
  if (config.test_apply_delay_ms > 0) {
    for (const char* op : {"rename", "unlink"}) {
      fault->AddRuleSpec(std::string(op) + ":delay=" + std::to_string(config.test_apply_delay_ms) +
                         ":count=-1");
    }
  }
  if (config.test_swap_inode_every > 0) {
    fault->SwapInodeEvery(static_cast<int>(config.test_swap_inode_every));
  }
  for (const std::string& spec : config.test_faults) {
    if (!fault->AddRuleSpec(spec)) return Status::Errno(EINVAL, "bad --test-fault " + spec);
  }
  return std::unique_ptr<fs::Backend>(std::move(fault));
}

}  // namespace fsgate::gateway
