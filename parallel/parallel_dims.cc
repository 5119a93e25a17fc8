// ParallelDims validation: every factor named in the message.
#include "parallel/parallel_dims.h"

#include <string>

#include "core/errors.h"

namespace florenz {

ParallelDims ParallelDims::Make(int tp, int dp, int gang_size) {
  if (tp < 1 || dp < 1) {
    throw RunError("tensor_parallel " + std::to_string(tp) + " and data_parallel " +
                   std::to_string(dp) + " must both be ≥ 1");
  }
  if (tp * dp != gang_size) {
    throw RunError("tensor_parallel " + std::to_string(tp) + " × data_parallel " +
                   std::to_string(dp) + " = " + std::to_string(tp * dp) + " ≠ gang size " +
                   std::to_string(gang_size));
  }
  return ParallelDims{tp, dp};
}

}  // namespace florenz
