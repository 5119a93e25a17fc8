// Helpers of the tests that run under mpiexec (tests/mpi_test_main.cc starts MPI).
#pragma once

#include <mpi.h>

namespace florenz::testing {

inline int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

inline int WorldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

}  // namespace florenz::testing
