// MpiComm: one MPI communicator owned by one RAII object (freed in the destructor, never
// throwing), move-only. The gang, tensor-parallel and data-parallel communicators of a run are
// MpiComms built from the job's communicator and passed explicitly; nothing reads a global.
#pragma once

#include <mpi.h>

#include <vector>

namespace florenz {

class MpiComm {
 public:
  // A communicator this object does not own (MPI_COMM_WORLD, MPI_COMM_SELF): never freed.
  static MpiComm Borrow(MPI_Comm comm);
  // Takes ownership of `comm` (MPI_COMM_NULL allowed) and sets MPI_ERRORS_RETURN on it, so
  // failures reach MPI_CHECK instead of aborting the job.
  static MpiComm Own(MPI_Comm comm);

  MpiComm() = default;
  ~MpiComm();
  MpiComm(MpiComm&& other) noexcept;
  MpiComm& operator=(MpiComm&& other) noexcept;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  MPI_Comm get() const { return comm_; }
  // Gives up ownership without freeing: the communicator lives for the rest of the process
  // (a gang whose collective was abandoned keeps its context id reserved: gang_watch.h).
  void Release() noexcept { owned_ = false; }
  bool valid() const { return comm_ != MPI_COMM_NULL; }
  int rank() const;
  int size() const;

  // MPI_Comm_split: collective over this communicator; ranks with the same colour form one
  // new communicator, ordered by key.
  MpiComm Split(int color, int key) const;
  // MPI_Comm_create_group: collective only over `ranks` (ranks of this communicator, in the
  // new communicator's order), so ranks outside the group are never blocked.
  MpiComm CreateGroup(const std::vector<int>& ranks, int tag) const;
  // MPI_Comm_dup: the same ranks, a separate message space.
  MpiComm Duplicate() const;

 private:
  MpiComm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {}
  void Free() noexcept;

  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
};

}  // namespace florenz
