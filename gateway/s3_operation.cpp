#include "gateway/s3_operation.h"

#include <array>

namespace fsgate::gateway {

std::string_view S3OperationName(S3Operation operation) {
  static constexpr std::array<std::string_view, kS3OperationCount> kNames = {
#define FSGATE_S3_OPERATION_NAME(name) #name,
      FSGATE_S3_OPERATIONS(FSGATE_S3_OPERATION_NAME)
#undef FSGATE_S3_OPERATION_NAME
  };
  const auto index = static_cast<size_t>(operation);
  return index < kNames.size() ? kNames[index] : kNames[0];
}

}  // namespace fsgate::gateway
