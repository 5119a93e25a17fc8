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

// Makes LibTorch's intra-op parallelism serial in the calling thread only (an input-pipeline
// thread: the rank's cores already run its step). LibTorch has no per-thread switch
// (torch::set_num_threads is process-wide), but its OpenMP backend sizes each parallel region
// by the calling thread's own OpenMP setting, so this sets that one to 1, in whichever OpenMP
// runtime LibTorch loaded (Debian's libgomp, or the copy upstream LibTorch bundles). A
// LibTorch without OpenMP is left as it is. Returns at::get_num_threads() in this thread after.
int SerialComputeInThisThread();

}  // namespace florenz::train
