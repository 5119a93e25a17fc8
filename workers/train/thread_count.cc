// Default thread count (see thread_count.h).
#include "workers/train/thread_count.h"

#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

// Declared weak: resolved when OpenBLAS is loaded (as LibTorch's BLAS), null elsewhere.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));
// Declared weak: resolved from the OpenMP runtime LibTorch loaded, null without one.
extern "C" void omp_set_num_threads(int threads) __attribute__((weak));

namespace florenz::train {

int DefaultThreadCount() {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) == 0) cores = CPU_COUNT(&mask);
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    const int n = std::atoi(omp);
    if (n > 0) cores = std::min(cores, n);
  }
  return std::max(1, cores);
}

int ResolveThreadCount(int requested) { return requested > 0 ? requested : DefaultThreadCount(); }

void SetComputeThreads(int threads) {
  torch::set_num_threads(threads);
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(threads);
}

int SerialComputeInThisThread() {
  // ATen's first call in a thread sets the thread's OpenMP size to the process's: let it
  // happen first, then override it for this thread alone.
  at::get_num_threads();
  if (omp_set_num_threads != nullptr) omp_set_num_threads(1);
  return at::get_num_threads();
}

}  // namespace florenz::train
