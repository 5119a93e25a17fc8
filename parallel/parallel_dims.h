// ParallelDims: the parallel degrees of one run's gang, {tp, dp}, validated at construction
// against the gang size with every factor named (torchtitan's parallel_dims). Rank order is tp
// fastest: gang rank r has tp rank r % tp and dp rank r / tp, so tensor-parallel neighbours
// are adjacent ranks and share a node.
#pragma once

namespace florenz {

struct ParallelDims {
  // Tensor-parallel degree (the grid's `tensor_parallel`), ≥ 1.
  int tp = 1;
  // Data-parallel degree (the grid's `data_parallel`), ≥ 1.
  int dp = 1;

  // Throws RunError unless tp ≥ 1, dp ≥ 1 and tp × dp == gang_size:
  // "tensor_parallel 2 × data_parallel 3 = 6 ≠ gang size 4".
  static ParallelDims Make(int tp, int dp, int gang_size);

  int size() const { return tp * dp; }
  int TpRank(int gang_rank) const { return gang_rank % tp; }
  int DpRank(int gang_rank) const { return gang_rank / tp; }
};

}  // namespace florenz
