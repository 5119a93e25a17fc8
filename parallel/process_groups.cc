// ProcessGroups: the tp and dp sub-communicators split from the gang's, tp fastest; MPI for the
// gang's control, NCCL communicators kept for reuse per distinct rank set.
#include "parallel/process_groups.h"

#include <map>
#include <mutex>
#include <utility>

#include "core/errors.h"
#include "parallel/mpi_check.h"
#include "parallel/mpi_communicator.h"
#ifdef FLORENZ_HAVE_NCCL
#include "parallel/nccl_communicator.h"
#endif
#ifdef FLORENZ_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace florenz {
namespace {

// A group of one rank: every collective is the identity, on any device, with no library call.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  const char* backend() const override { return "local"; }
  void AllReduce(torch::Tensor&, ReduceOp) override {}
  std::unique_ptr<Work> AllReduceAsync(torch::Tensor&, ReduceOp) override {
    return std::make_unique<DoneWork>();
  }
  torch::Tensor AllGather(const torch::Tensor& input, int64_t) override { return input; }
  torch::Tensor ReduceScatter(const torch::Tensor& input, int64_t, ReduceOp) override {
    return input;
  }
  void Broadcast(torch::Tensor&, int) override {}
  void Barrier() override {}

 private:
  struct DoneWork final : public Work {
    void Wait() override {}
    bool Test() override { return true; }
  };
};

// NCCL communicators kept for reuse, by (device, world ranks of the group).
using ReuseKey = std::pair<int, std::vector<int>>;
std::mutex reuse_mutex;
std::map<ReuseKey, std::shared_ptr<Communicator>>& Reused() {
  static auto* reused = new std::map<ReuseKey, std::shared_ptr<Communicator>>;
  return *reused;
}

// The group's communicator: MPI over `comm`, or NCCL (reused when every member has one for
// this rank set), or local for a group of one on NCCL.
std::shared_ptr<Communicator> Make(MpiComm comm, const GangOptions& options,
                                   const std::vector<int>& world_ranks) {
  if (options.backend == Backend::kMpi) {
    return std::make_shared<MpiCommunicator>(std::move(comm), options.watch);
  }
#ifdef FLORENZ_HAVE_NCCL
  if (comm.size() == 1) return std::make_shared<LocalCommunicator>();
  MpiCommunicator control(std::move(comm), options.watch);
  const ReuseKey key{options.device, world_ranks};
  std::shared_ptr<Communicator> mine;
  if (!world_ranks.empty()) {
    std::lock_guard<std::mutex> lock(reuse_mutex);
    auto it = Reused().find(key);
    if (it != Reused().end()) mine = it->second;
  }
  // Reuse only when every member has it (a member that abandoned its copy builds anew).
  torch::Tensor all = torch::full({1}, mine ? 1 : 0, torch::kInt32);
  control.AllReduce(all, ReduceOp::kSum);
  if (mine && all.item<int32_t>() == control.size()) return mine;
  if (mine) {
    std::lock_guard<std::mutex> lock(reuse_mutex);
    Reused().erase(key);
    mine.reset();
  }
#ifdef FLORENZ_TORCH_CUDA
  // NCCL's buffers live outside LibTorch's allocator: give back what it caches first.
  c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  auto made = std::make_shared<NcclCommunicator>(control, options.device,
                                                 options.collective_timeout_seconds);
  if (!world_ranks.empty()) {
    std::lock_guard<std::mutex> lock(reuse_mutex);
    Reused()[key] = made;
  }
  return made;
#else
  (void)world_ranks;
  throw RunError(
      "the NCCL backend was not built (configure with FLORENZ_WITH_NCCL=ON and a "
      "CUDA toolkit with NCCL)");
#endif
}

}  // namespace

std::unique_ptr<ProcessGroups> ProcessGroups::Create(MpiComm gang, int tp, int dp, Backend backend,
                                                     int device) {
  GangOptions options;
  options.backend = backend;
  options.device = device;
  return Create(std::move(gang), tp, dp, options);
}

std::unique_ptr<ProcessGroups> ProcessGroups::Create(MpiComm gang, int tp, int dp,
                                                     const GangOptions& options) {
  // Validate before any collective: a bad layout fails on every rank with the same message.
  const ParallelDims dims = ParallelDims::Make(tp, dp, gang.size());
  std::unique_ptr<ProcessGroups> groups(new ProcessGroups);
  groups->dims_ = dims;
  groups->rank_ = gang.rank();
  const int r = groups->rank_;
  // tp group: the tp consecutive ranks of one dp replica; dp group: equal tp rank.
  MpiComm tp_comm = gang.Split(/*color=*/dims.DpRank(r), /*key=*/r);
  MpiComm dp_comm = gang.Split(/*color=*/dims.TpRank(r), /*key=*/r);
  std::vector<int> tp_world, dp_world;
  if (static_cast<int>(options.world_ranks.size()) == gang.size()) {
    for (int g = 0; g < gang.size(); ++g) {
      if (dims.DpRank(g) == dims.DpRank(r)) tp_world.push_back(options.world_ranks[g]);
      if (dims.TpRank(g) == dims.TpRank(r)) dp_world.push_back(options.world_ranks[g]);
    }
  }
  groups->gang_ = std::make_unique<MpiCommunicator>(std::move(gang), options.watch);
  groups->tp_ = Make(std::move(tp_comm), options, tp_world);
  groups->dp_ = Make(std::move(dp_comm), options, dp_world);
  return groups;
}

ProcessGroups::~ProcessGroups() = default;

void ProcessGroups::ThrowIfUnhealthy() const {
#ifdef FLORENZ_HAVE_NCCL
  for (const auto* comm : {tp_.get(), dp_.get()}) {
    if (const auto* nccl = dynamic_cast<const NcclCommunicator*>(comm)) nccl->ThrowIfUnhealthy();
  }
#endif
}

void ProcessGroups::Abandon(const std::string& reason) noexcept {
#ifdef FLORENZ_HAVE_NCCL
  std::lock_guard<std::mutex> lock(reuse_mutex);
  for (const auto& comm : {tp_, dp_}) {
    auto* nccl = dynamic_cast<NcclCommunicator*>(comm.get());
    if (nccl == nullptr) continue;
    nccl->Abort(reason);
    for (auto it = Reused().begin(); it != Reused().end();) {
      it = it->second == comm ? Reused().erase(it) : std::next(it);
    }
  }
#else
  (void)reason;
#endif
}

void ProcessGroups::ReleaseReusedCommunicators() noexcept {
  std::lock_guard<std::mutex> lock(reuse_mutex);
  Reused().clear();
}

}  // namespace florenz
