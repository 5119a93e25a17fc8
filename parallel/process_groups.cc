// ProcessGroups: the tp and dp sub-communicators split from the gang's, tp fastest.
#include "parallel/process_groups.h"

#include <utility>

#include "core/errors.h"
#include "parallel/mpi_communicator.h"
#ifdef FLORENZ_HAVE_NCCL
#include "parallel/nccl_communicator.h"
#endif

namespace florenz {
namespace {

std::unique_ptr<Communicator> Make(MpiComm comm, Backend backend, int device) {
  if (backend == Backend::kMpi) return std::make_unique<MpiCommunicator>(std::move(comm));
#ifdef FLORENZ_HAVE_NCCL
  return std::make_unique<NcclCommunicator>(std::move(comm), device);
#else
  (void)device;
  throw RunError(
      "the NCCL backend was not built (configure with FLORENZ_WITH_NCCL=ON and a "
      "CUDA toolkit with NCCL)");
#endif
}

}  // namespace

std::unique_ptr<ProcessGroups> ProcessGroups::Create(MpiComm gang, int tp, int dp, Backend backend,
                                                     int device) {
  // Validate before any collective: a bad layout fails on every rank with the same message.
  const ParallelDims dims = ParallelDims::Make(tp, dp, gang.size());
  std::unique_ptr<ProcessGroups> groups(new ProcessGroups);
  groups->dims_ = dims;
  groups->rank_ = gang.rank();
  const int r = groups->rank_;
  // tp group: the tp consecutive ranks of one dp replica; dp group: equal tp rank.
  MpiComm tp_comm = gang.Split(/*color=*/dims.DpRank(r), /*key=*/r);
  MpiComm dp_comm = gang.Split(/*color=*/dims.TpRank(r), /*key=*/r);
  groups->tp_ = Make(std::move(tp_comm), backend, device);
  groups->dp_ = Make(std::move(dp_comm), backend, device);
  groups->gang_ = Make(std::move(gang), backend, device);
  return groups;
}

}  // namespace florenz
