// Default thread count (see thread_count.h).
#include "workers/train/thread_count.h"

#include <sched.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

// Declared weak: resolved when OpenBLAS is loaded (as LibTorch's BLAS), null elsewhere.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

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

}  // namespace florenz::train
