// MpiSession: MPI_Init_thread only under a launcher; the job's communicator duplicated once.
#include "orchestrator/mpi_session.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "parallel/mpi_check.h"

namespace florenz {

bool MpiSession::Launched() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(variable) != nullptr) return true;
  }
  return false;
}

MpiSession::MpiSession() {
  if (!Launched()) return;
  // A watched gang's collectives are MPI's non-blocking ones (parallel/gang_watch.h), whose
  // default algorithm choice (libnbc) is up to 8x slower than the blocking ones at 1-16 MB;
  // the ring is within 10 % up to 4 MB (bench_allreduce's watched rows, docs/performance.md).
  // The user's own setting wins.
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
  int provided = 0;
  // Only the main thread calls MPI (LibTorch's intra-op threads never do).
  MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
  active_ = true;
  MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
  MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &gangs_));
  MPI_CHECK(MPI_Comm_set_errhandler(gangs_, MPI_ERRORS_RETURN));
  MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

MpiSession::~MpiSession() {
  if (!active_) return;
  std::fflush(stdout);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
  // gangs_ is not freed: a failure notice sent to a rank that never polled again may still
  // be pending on it, and abandoned gangs' communicators were made from it.
  if (MPI_Finalize() != MPI_SUCCESS) std::cerr << "florenz: warning: MPI_Finalize failed\n";
}

void MpiSession::Abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace florenz
