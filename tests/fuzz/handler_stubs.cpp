// The HTTP fuzz target routes through the real S3 operation table, whose rows
// name the handlers; the handlers (and the store under them) are not what it
// exercises, so each is a no-op here.
#include "gateway/s3_handlers.h"

namespace fsgate::gateway {

#define FSGATE_S3_STUB_HANDLER(name) \
  void name(S3Context&) {}
FSGATE_S3_HANDLERS(FSGATE_S3_STUB_HANDLER)
#undef FSGATE_S3_STUB_HANDLER

}  // namespace fsgate::gateway
