// MPI_CHECK: every MPI call of parallel/ goes through it once. A failing call throws RunError
// with the call, file, line and Open MPI's own error string, so a run fails alone (its worker's
// run boundary records the reason) instead of the whole job aborting.
#pragma once

#include <mpi.h>

#include <string>

namespace florenz {

// Throws RunError "<call> failed at <file>:<line>: <MPI error string>" unless code is
// MPI_SUCCESS. Communicators florenz creates use MPI_ERRORS_RETURN, so codes reach here.
void ThrowMpiError(int code, const char* call, const char* file, int line);

}  // namespace florenz

#define MPI_CHECK(call)                                                       \
  do {                                                                        \
    const int florenz_mpi_code_ = (call);                                     \
    if (florenz_mpi_code_ != MPI_SUCCESS) {                                   \
      ::florenz::ThrowMpiError(florenz_mpi_code_, #call, __FILE__, __LINE__); \
    }                                                                         \
  } while (0)
