// MpiComm: ownership, splitting and group creation of MPI communicators, and MPI_CHECK's
// error path.
#include "parallel/mpi_comm.h"

#include <iostream>
#include <string>
#include <utility>

#include "core/check.h"
#include "core/errors.h"
#include "parallel/mpi_check.h"

namespace florenz {

void ThrowMpiError(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw RunError(FailedCallMessage(
      call, file, line,
      length > 0 ? std::string(text, length) : "MPI error " + std::to_string(code)));
}

MpiComm MpiComm::Borrow(MPI_Comm comm) { return MpiComm(comm, /*owned=*/false); }

MpiComm MpiComm::Own(MPI_Comm comm) {
  if (comm != MPI_COMM_NULL) MPI_CHECK(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
  return MpiComm(comm, /*owned=*/true);
}

MpiComm::~MpiComm() { Free(); }

MpiComm::MpiComm(MpiComm&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      owned_(std::exchange(other.owned_, false)) {}

MpiComm& MpiComm::operator=(MpiComm&& other) noexcept {
  if (this != &other) {
    Free();
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void MpiComm::Free() noexcept {
  if (!owned_ || comm_ == MPI_COMM_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  // After MPI_Finalize nothing may be freed; the library has released it anyway.
  if (!finalized && MPI_Comm_free(&comm_) != MPI_SUCCESS) {
    std::cerr << "florenz: warning: MPI_Comm_free failed\n";  // destructors never throw
  }
  comm_ = MPI_COMM_NULL;
}

int MpiComm::rank() const {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm_, &rank));
  return rank;
}

int MpiComm::size() const {
  int size = 0;
  MPI_CHECK(MPI_Comm_size(comm_, &size));
  return size;
}

MpiComm MpiComm::Split(int color, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split(comm_, color, key, &out));
  return Own(out);
}

MpiComm MpiComm::CreateGroup(const std::vector<int>& ranks, int tag) const {
  MPI_Group all = MPI_GROUP_NULL, members = MPI_GROUP_NULL;
  MPI_CHECK(MPI_Comm_group(comm_, &all));
  MPI_CHECK(MPI_Group_incl(all, static_cast<int>(ranks.size()), ranks.data(), &members));
  MPI_Comm out = MPI_COMM_NULL;
  const int code = MPI_Comm_create_group(comm_, members, tag, &out);
  MPI_Group_free(&members);
  MPI_Group_free(&all);
  MPI_CHECK(code);
  return Own(out);
}

MpiComm MpiComm::Duplicate() const {
  MPI_Comm out = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_dup(comm_, &out));
  return Own(out);
}

}  // namespace florenz
