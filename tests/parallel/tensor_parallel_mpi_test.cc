// The tensor-parallel layers at tp = 2 and 4 (mpiexec -n 2 and -n 4; at -n 4 also two tp = 2
// groups side by side) against the full layer on one rank: forward outputs and every gradient
// (input, weight shard, bias) within 1e-5 relative error in float32, on random inputs. Also the
// four mappings and ProcessGroups' layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <memory>

#include "core/errors.h"
#include "parallel/column_parallel_linear.h"
#include "parallel/process_groups.h"
#include "parallel/row_parallel_linear.h"
#include "parallel/tp_mappings.h"
#include "parallel/vocab_parallel_cross_entropy.h"
#include "parallel/vocab_parallel_embedding.h"

namespace florenz {
namespace {

double RelativeError(const torch::Tensor& actual, const torch::Tensor& expected) {
  const double scale = std::max(expected.abs().max().item<double>(), 1e-30);
  return (actual - expected).abs().max().item<double>() / scale;
}

// this rank's slice of `full` along `dim` for a tp coordinate
torch::Tensor Slice(const torch::Tensor& full, int64_t dim, const TensorParallel& tp) {
  const int64_t width = full.size(dim) / tp.size;
  return full.narrow(dim, tp.rank * width, width);
}

class TensorParallelMpiTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    int world = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    tp_size_ = GetParam();
    if (world % tp_size_ != 0) GTEST_SKIP() << "tp " << tp_size_ << " needs a multiple of ranks";
    groups_ = ProcessGroups::Create(MpiComm::Borrow(MPI_COMM_WORLD).Duplicate(), tp_size_,
                                    world / tp_size_);
    tp_ = groups_->tensor_parallel();
    torch::manual_seed(1234);  // the same inputs on every rank
  }
  int tp_size_ = 1;
  std::unique_ptr<ProcessGroups> groups_;
  TensorParallel tp_;
};

TEST_P(TensorParallelMpiTest, ProcessGroupsPutTensorParallelNeighboursTogether) {
  const int rank = groups_->rank();
  EXPECT_EQ(groups_->tp().size(), tp_size_);
  EXPECT_EQ(groups_->tp_rank(), rank % tp_size_);
  EXPECT_EQ(groups_->dp_rank(), rank / tp_size_);
  EXPECT_EQ(groups_->dp().size(), groups_->gang().size() / tp_size_);
  // The tp group is ranks [dp_rank·tp, dp_rank·tp + tp): the all-gathered gang ranks say so.
  torch::Tensor members = groups_->tp().AllGather(torch::full({1}, rank, torch::kInt64), 0);
  for (int i = 0; i < tp_size_; ++i) {
    EXPECT_EQ(members[i].item<int64_t>(), groups_->dp_rank() * tp_size_ + i);
  }
}

TEST_P(TensorParallelMpiTest, MappingsAreConjugates) {
  torch::Tensor x = torch::randn({3, 4 * tp_size_}, torch::requires_grad());
  torch::Tensor gathered = GatherFromTpRegion(ScatterToTpRegion(x, tp_), tp_);
  EXPECT_TRUE(torch::equal(gathered, x));
  torch::Tensor weights = torch::randn({3, 4 * tp_size_});
  (gathered * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), weights));

  torch::Tensor y = torch::randn({5}, torch::requires_grad());
  torch::Tensor reduced = ReduceFromTpRegion(CopyToTpRegion(y, tp_) * (tp_.rank + 1), tp_);
  const double factor = tp_size_ * (tp_size_ + 1) / 2.0;
  EXPECT_LT(RelativeError(reduced, y * factor), 1e-6);
  reduced.sum().backward();  // d/dy: all-reduce of (rank + 1) over tp
  EXPECT_LT(RelativeError(y.grad(), torch::full({5}, factor)), 1e-6);
}

TEST_P(TensorParallelMpiTest, ColumnParallelLinearEqualsTheFullLayer) {
  for (bool gather : {true, false}) {
    ColumnParallelLinearOptions options;
    options.gather_output = gather;
    options.seed = 21;
    ColumnParallelLinear full(12, 8 * tp_size_, options);
    options.tp = tp_;
    ColumnParallelLinear shard(12, 8 * tp_size_, options);
    {
      torch::NoGradGuard no_grad;
      full->bias.normal_();  // the same draw on every rank; each keeps its slice
      shard->bias.copy_(Slice(full->bias, 0, tp_));
    }
    torch::Tensor x = torch::randn({2, 3, 12});
    torch::Tensor x_full = x.clone().requires_grad_(), x_shard = x.clone().requires_grad_();
    torch::Tensor r = torch::randn({2, 3, 8 * tp_size_});
    torch::Tensor y_full = full(x_full), y_shard = shard(x_shard);
    EXPECT_LT(RelativeError(y_shard, gather ? y_full : Slice(y_full, -1, tp_)), 1e-5);
    (y_full * r).sum().backward();
    (y_shard * (gather ? r : Slice(r, -1, tp_))).sum().backward();
    EXPECT_LT(RelativeError(x_shard.grad(), x_full.grad()), 1e-5) << "copy_to_tp_region";
    EXPECT_LT(RelativeError(shard->weight.grad(), Slice(full->weight.grad(), 0, tp_)), 1e-5);
    EXPECT_LT(RelativeError(shard->bias.grad(), Slice(full->bias.grad(), 0, tp_)), 1e-5);
  }
}

TEST_P(TensorParallelMpiTest, RowParallelLinearEqualsTheFullLayer) {
  for (bool input_is_parallel : {true, false}) {
    RowParallelLinearOptions options;
    options.input_is_parallel = input_is_parallel;
    options.seed = 22;
    RowParallelLinear full(8 * tp_size_, 6, options);
    options.tp = tp_;
    RowParallelLinear shard(8 * tp_size_, 6, options);
    {
      torch::NoGradGuard no_grad;
      full->bias.normal_();
      shard->bias.copy_(full->bias);
    }
    torch::Tensor x = torch::randn({4, 8 * tp_size_});
    torch::Tensor x_full = x.clone().requires_grad_();
    torch::Tensor x_shard =
        (input_is_parallel ? Slice(x, -1, tp_).contiguous() : x.clone()).requires_grad_();
    torch::Tensor r = torch::randn({4, 6});
    torch::Tensor y_full = full(x_full), y_shard = shard(x_shard);
    EXPECT_LT(RelativeError(y_shard, y_full), 1e-5);
    (y_full * r).sum().backward();
    (y_shard * r).sum().backward();
    EXPECT_LT(RelativeError(x_shard.grad(),
                            input_is_parallel ? Slice(x_full.grad(), -1, tp_) : x_full.grad()),
              1e-5);
    EXPECT_LT(RelativeError(shard->weight.grad(), Slice(full->weight.grad(), 1, tp_)), 1e-5);
    EXPECT_LT(RelativeError(shard->bias.grad(), full->bias.grad()), 1e-5);
  }
}

TEST_P(TensorParallelMpiTest, VocabParallelEmbeddingAndTiedHeadEqualTheFullTable) {
  VocabParallelEmbeddingOptions options;
  options.seed = 23;
  const int64_t vocab = 10 * tp_size_;
  VocabParallelEmbedding full(vocab, 6, options);
  options.tp = tp_;
  VocabParallelEmbedding shard(vocab, 6, options);
  EXPECT_EQ(shard->vocab_start(), tp_.rank * 10);
  torch::Tensor ids = torch::randint(vocab, {3, 7}, torch::kInt64);
  torch::Tensor r = torch::randn({3, 7, 6});
  torch::Tensor e_full = full(ids), e_shard = shard(ids);
  EXPECT_LT(RelativeError(e_shard, e_full), 1e-6);
  (e_full * r).sum().backward();
  (e_shard * r).sum().backward();
  EXPECT_LT(RelativeError(shard->weight.grad(), Slice(full->weight.grad(), 0, tp_)), 1e-5);

  torch::Tensor hidden = torch::randn({3, 6});
  torch::Tensor h_full = hidden.clone().requires_grad_(), h_shard = hidden.clone().requires_grad_();
  torch::Tensor z_full = full->Logits(h_full), z_shard = shard->Logits(h_shard);
  EXPECT_LT(RelativeError(z_shard, Slice(z_full, -1, tp_)), 1e-5);
  torch::Tensor q = torch::randn({3, vocab});
  (z_full * q).sum().backward();
  (z_shard * Slice(q, -1, tp_)).sum().backward();
  EXPECT_LT(RelativeError(h_shard.grad(), h_full.grad()), 1e-5);
}

TEST_P(TensorParallelMpiTest, VocabParallelCrossEntropyNeverGathersTheLogits) {
  const int64_t vocab = 9 * tp_size_;
  torch::Tensor logits = torch::randn({4, 5, vocab}) * 3;
  torch::Tensor target = torch::randint(vocab, {4, 5}, torch::kInt64);
  target.index_put_({0, 4}, 0);  // <pad>: ignored
  torch::Tensor z_full = logits.clone().requires_grad_();
  torch::Tensor z_shard = Slice(logits, -1, tp_).contiguous().requires_grad_();
  torch::Tensor loss_full = VocabParallelCrossEntropy(z_full, target, TensorParallel{});
  torch::Tensor loss_shard = VocabParallelCrossEntropy(z_shard, target, tp_);
  EXPECT_EQ(loss_shard.sizes(), target.sizes());
  EXPECT_LT(RelativeError(loss_shard, loss_full), 1e-5);
  EXPECT_EQ(loss_shard[0][4].item<float>(), 0.0f);
  torch::Tensor w = torch::rand({4, 5});
  (loss_full * w).sum().backward();
  (loss_shard * w).sum().backward();
  EXPECT_LT(RelativeError(z_shard.grad(), Slice(z_full.grad(), -1, tp_)), 1e-5);
}

TEST(ProcessGroupsMpiTest, BadLayoutsFailBeforeAnyCollective) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  // Only rank 0 tries: were a collective called, it would hang, not fail.
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    EXPECT_THAT(
        [&] { ProcessGroups::Create(MpiComm::Borrow(MPI_COMM_WORLD), 2, world, Backend::kMpi); },
        ::testing::ThrowsMessage<RunError>(::testing::HasSubstr(
            "tensor_parallel 2 × data_parallel " + std::to_string(world) + " = " +
            std::to_string(2 * world) + " ≠ gang size " + std::to_string(world))));
    EXPECT_THAT([&] { ParallelDims::Make(0, world, world); }, ::testing::Throws<RunError>());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

INSTANTIATE_TEST_SUITE_P(TensorParallel, TensorParallelMpiTest, ::testing::Values(2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "tp" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace florenz
