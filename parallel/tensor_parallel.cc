// TensorParallel validation, the communicator check and seeded full-weight initialisation.
#include "parallel/tensor_parallel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/errors.h"
#include "core/hash.h"
#include "parallel/communicator.h"

namespace florenz {

void ValidateTensorParallel(const TensorParallel& tp) {
  if (tp.size < 1 || tp.rank < 0 || tp.rank >= tp.size) {
    throw RunError("tensor parallel rank " + std::to_string(tp.rank) + " of size " +
                   std::to_string(tp.size) + ": need size ≥ 1 and 0 ≤ rank < size");
  }
}

Communicator* RequireCommunicator(const TensorParallel& tp, const std::string& layer) {
  ValidateTensorParallel(tp);
  if (tp.size == 1) return nullptr;
  if (tp.comm == nullptr) {
    throw RunError(layer + " at tensor_parallel " + std::to_string(tp.size) +
                   " needs the tensor-parallel group's communicator (ProcessGroups::tp)");
  }
  if (tp.comm->size() != tp.size || tp.comm->rank() != tp.rank) {
    throw RunError(layer + ": tensor-parallel rank " + std::to_string(tp.rank) + " of " +
                   std::to_string(tp.size) + " given a communicator of rank " +
                   std::to_string(tp.comm->rank()) + " of " + std::to_string(tp.comm->size()));
  }
  return tp.comm;
}

int64_t ShardSize(int64_t full, const TensorParallel& tp, const std::string& what) {
  ValidateTensorParallel(tp);
  if (full % tp.size != 0) {
    throw RunError(what + " " + std::to_string(full) + " is not divisible by tensor_parallel " +
                   std::to_string(tp.size));
  }
  return full / tp.size;
}

torch::Tensor NormalShard(int64_t rows, int64_t cols, double std, uint64_t seed, int dim,
                          const TensorParallel& tp) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  torch::Tensor full = torch::randn({rows, cols}, generator, torch::kFloat32) * std;
  const int64_t shard = ShardSize(dim == 0 ? rows : cols, tp, "weight dimension");
  return full.narrow(dim, tp.rank * shard, shard).contiguous();
}

uint64_t LayerSeed(uint64_t seed, const std::string& name) {
  return SplitMix64(seed ^ Fnv1a64(name));
}

}  // namespace florenz
