// MpiSession: MPI for the lifetime of `florenz run` (MPI_Init_thread … MPI_Finalize, once per
// process). MPI starts only when a launcher started this process (mpirun, or srun with PMIx or
// PMI2); alone, the process is the embedded serial mode and never touches MPI, so `florenz run`
// works on a laptop without a launcher.
#pragma once

#include <mpi.h>

namespace florenz {

class MpiSession {
 public:
  // True when the environment shows an MPI launcher (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK).
  static bool Launched();

  MpiSession();
  ~MpiSession();  // MPI_Finalize; never throws
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  bool active() const { return active_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  // The job's own duplicate of MPI_COMM_WORLD (MPI_ERRORS_RETURN); MPI_COMM_NULL when alone.
  MPI_Comm comm() const { return comm_; }
  // A second duplicate, for gangs: their creation (MPI_Comm_create_group's messages) and
  // their failure notices (parallel/gang_watch.h), so neither ever mixes with the
  // coordinator's protocol, whose receivers take any tag; MPI_COMM_NULL when alone.
  MPI_Comm gangs() const { return gangs_; }
  // Ends every rank of the job with `code` (when a rank is lost, MPI_Finalize would wait for it
  // forever).
  [[noreturn]] void Abort(int code);

 private:
  bool active_ = false;
  int rank_ = 0;
  int size_ = 1;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm gangs_ = MPI_COMM_NULL;
};

}  // namespace florenz
