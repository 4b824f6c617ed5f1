#include "gateway/backend_factory.h"

#include "fsclient/posix_backend.h"

namespace fsgate::gateway {

Result<std::unique_ptr<fsclient::Backend>> MakeBackend(const ServeConfig& config) {
  if (config.backend != "posix") {
    return Status::S3(s3err::kNotImplemented, "the cephfs backend is not available in this build");
  }
  return fsclient::MakePosixBackend(config.root);
}

}  // namespace fsgate::gateway
