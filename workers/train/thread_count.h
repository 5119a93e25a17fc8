// How many LibTorch intra-op threads a rank uses by default: the cores this process may run
// on (its affinity mask), capped by OMP_NUM_THREADS when set — so that several ranks on one
// node do not oversubscribe it.
#pragma once

namespace florenz::train {

int DefaultThreadCount();

// `requested` if > 0, else DefaultThreadCount().
int ResolveThreadCount(int requested);

// Makes this process compute with `threads` threads: LibTorch's intra-op pool and, where
// LibTorch's matrix products run in OpenBLAS (Debian), OpenBLAS's own pool, which ignores
// torch::set_num_threads and would otherwise use every core.
void SetComputeThreads(int threads);

}  // namespace florenz::train
