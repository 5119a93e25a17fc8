// TensorParallel: this rank's place in its tensor-parallel group and the group's communicator,
// passed explicitly to every tensor-parallel layer (no globals, as in Megatron's newer code).
// Also the helpers the layers share: the communicator check and drawing the full weight from a
// seed to keep this rank's shard.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace florenz {

class Communicator;

// This rank's coordinate in its tensor-parallel group.
struct TensorParallel {
  // Rank in the group, 0 ≤ rank < size.
  int rank = 0;
  // Ranks in the group (the grid's `tensor_parallel`); 1 means plain, unsharded layers.
  int size = 1;
  // The group's communicator (not owned: ProcessGroups owns it for the whole run); required
  // when size > 1, unused at size 1.
  Communicator* comm = nullptr;
};

// Throws RunError unless 0 ≤ rank < size and size ≥ 1.
void ValidateTensorParallel(const TensorParallel& tp);

// Validates `tp` and returns its communicator; at size > 1 throws RunError naming `layer`
// unless a communicator of that size, with this rank, is attached (a layer must never compute
// a shard's partial result as if it were the whole). Returns nullptr at size 1.
Communicator* RequireCommunicator(const TensorParallel& tp, const std::string& layer);

// `full` / tp.size; throws RunError naming `what` when tp.size does not divide `full`.
int64_t ShardSize(int64_t full, const TensorParallel& tp, const std::string& what);

// Draws the FULL [rows, cols] weight from N(0, std²) with a CPU generator seeded with `seed`,
// then keeps this rank's contiguous shard along `dim` (0: rows, 1: columns). A model's values
// therefore do not depend on tp. Returns a contiguous float32 tensor.
torch::Tensor NormalShard(int64_t rows, int64_t cols, double std, uint64_t seed, int dim,
                          const TensorParallel& tp);

// A 64-bit seed for one layer, mixed from the run's seed and the layer's name (splitmix64 over
// FNV-1a), so a layer's weights depend on neither construction order nor tp.
uint64_t LayerSeed(uint64_t seed, const std::string& name);

}  // namespace florenz
