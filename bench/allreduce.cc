// All-reduce (sum, float32) through the Communicator against the library call under it, on the
// same buffers: MPI_Allreduce, and ncclAllReduce where built with NCCL and a GPU is there. Issue
// 6's target: raw/florenz ≥ 0.95 from 1 MB up; busbw = algbw × 2(n − 1)/n as in nccl-tests.
//
//   mpiexec -n 2 build/bench/bench_allreduce [--samples 11] [--max-mb 64] [--mpi-rows 1]
//
// --mpi-rows 0 leaves out the MPI rows (scripts/gpu-check on a one-GPU node, where one rank
// has nothing to exchange over MPI).
#include <mpi.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "parallel/gang_watch.h"
#include "parallel/mpi_check.h"
#include "parallel/mpi_communicator.h"

#ifdef FLORENZ_HAVE_NCCL
#include "parallel/cuda_check.h"
#include "parallel/nccl_communicator.h"
#endif

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Repetitions per timed sample: enough that a sample of a small buffer lasts well above the
// clock's resolution and the barrier's cost, one for the largest.
int IterationsFor(int64_t bytes) {
  return static_cast<int>(std::clamp<int64_t>((16 << 20) / bytes, 1, 100));
}

struct Timing {
  double florenz_s = 0;  // median seconds of one all-reduce
  double raw_s = 0;
  double async_s = 0;  // NCCL rows: AllReduceAsync (own stream, events); 0 elsewhere
};

// Times `florenz` and `raw` (each one all-reduce of the buffer) in interleaved samples after
// `warmup` calls of each: every sample starts at a barrier, lasts `iterations` calls, is
// closed by `sync` (the device's queue drained, for NCCL) and counts at the slowest rank's
// time. Returns the medians per call.
Timing Measure(MPI_Comm comm, int samples, int iterations, const std::function<void()>& florenz,
               const std::function<void()>& raw, const std::function<void()>& sync,
               const std::function<void()>& refill) {
  for (int i = 0; i < 3; ++i) {
    florenz();
    raw();
  }
  sync();
  std::vector<double> florenz_times, raw_times;
  for (int s = 0; s < samples; ++s) {
    for (int turn = 0; turn < 2; ++turn) {
      const int variant = (turn + s) % 2;  // alternate which goes first
      // Sums double the values each call: refill so they stay finite and normal.
      refill();
      sync();
      MPI_CHECK(MPI_Barrier(comm));
      const auto start = Clock::now();
      for (int i = 0; i < iterations; ++i) (variant == 0 ? florenz : raw)();
      sync();
      double seconds = std::chrono::duration<double>(Clock::now() - start).count() / iterations;
      MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
      (variant == 0 ? florenz_times : raw_times).push_back(seconds);
    }
  }
  return Timing{Median(florenz_times), Median(raw_times)};
}

void PrintHeader(const char* backend, int ranks, int samples, bool async) {
  std::printf(
      "\nall-reduce sum float32, %s backend, %d ranks, median of %d samples "
      "(interleaved, after warm-up)\n",
      backend, ranks, samples);
  std::printf("%10s %14s %12s %12s %12s %8s", "size", "florenz us", "raw us", "algbw GB/s",
              "busbw GB/s", "raw/fl");
  std::printf(async ? " %12s\n" : "\n", "async us");
}

void PrintRow(int64_t bytes, int ranks, const Timing& t) {
  const double algbw = bytes / t.florenz_s / 1e9;
  const double busbw = algbw * 2.0 * (ranks - 1) / ranks;
  const std::string size = bytes >= (1 << 20) ? std::to_string(bytes >> 20) + " MB"
                                              : std::to_string(bytes >> 10) + " KB";
  std::printf("%10s %14.1f %12.1f %12.3f %12.3f %8.3f", size.c_str(), t.florenz_s * 1e6,
              t.raw_s * 1e6, algbw, busbw, t.raw_s / t.florenz_s);
  if (t.async_s > 0) std::printf(" %12.1f", t.async_s * 1e6);
  std::printf("\n");
}

#ifdef FLORENZ_HAVE_NCCL
// The raw side of the NCCL rows: a second NCCL communicator of the same ranks (bootstrapped
// as NcclCommunicator is) with its own stream, released in the destructor.
struct RawNccl {
  RawNccl(MPI_Comm mpi, int rank, int size) {
    ncclUniqueId id;
    if (rank == 0) NCCL_CHECK(ncclGetUniqueId(&id));
    MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, mpi));
    NCCL_CHECK(ncclCommInitRank(&comm, size, id, rank));
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  }
  ~RawNccl() {
    if (stream != nullptr) cudaStreamSynchronize(stream);
    if (comm != nullptr) ncclCommDestroy(comm);
    if (stream != nullptr) cudaStreamDestroy(stream);
  }
  RawNccl(const RawNccl&) = delete;
  RawNccl& operator=(const RawNccl&) = delete;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
};
#endif

}  // namespace

int main(int argc, char** argv) {
  // As `florenz run` does (orchestrator/mpi_session.cc): the ring for non-blocking all-reduces.
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
  MPI_Init(&argc, &argv);
  int samples = 11;
  int64_t max_mb = 64;
  bool mpi_rows = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--samples") {
      samples = std::atoi(argv[i + 1]);
    } else if (flag == "--max-mb") {
      max_mb = std::atoll(argv[i + 1]);
    } else if (flag == "--mpi-rows") {
      mpi_rows = std::atoi(argv[i + 1]) != 0;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
  torch::set_num_threads(1);
  try {
    // The communicator both sides run on: the bench's own duplicate of the world.
    florenz::MpiCommunicator comm(florenz::MpiComm::Borrow(MPI_COMM_WORLD).Duplicate());
    const MPI_Comm raw_comm = comm.comm().get();
    const bool leader = comm.rank() == 0;
    std::vector<int64_t> sizes;
    for (int64_t bytes = 1 << 10; bytes <= (max_mb << 20); bytes *= 4) sizes.push_back(bytes);
    // One row per size: `florenz`'s AllReduce against MPI_Allreduce on the same buffer.
    auto mpi_table = [&](florenz::Communicator& florenz, const char* backend) {
      if (leader) PrintHeader(backend, comm.size(), samples, false);
      for (int64_t bytes : sizes) {
        torch::Tensor buffer = torch::ones({bytes / 4}, torch::kFloat32);
        float* data = buffer.data_ptr<float>();
        const int count = static_cast<int>(buffer.numel());
        const Timing t = Measure(
            raw_comm, samples, IterationsFor(bytes),
            [&] { florenz.AllReduce(buffer, florenz::ReduceOp::kSum); },
            [&] {
              MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, MPI_SUM, raw_comm));
            },
            [] {}, [&] { buffer.fill_(1.0f); });
        if (leader) PrintRow(bytes, comm.size(), t);
      }
    };
    if (mpi_rows) {
      mpi_table(comm, "mpi");
      // The same through a watched communicator, as every multi-rank gang of `florenz run`
      // uses (parallel/gang_watch.h): MPI_Iallreduce and a wait that polls the gang's failure
      // notices, against the blocking MPI_Allreduce: what containment costs a CPU gang.
      if (leader) {
        std::printf("\nthe rows again with a GangWatch (florenz us: watched, raw us: blocking)");
      }
      const florenz::MpiComm notices = florenz::MpiComm::Borrow(MPI_COMM_WORLD).Duplicate();
      std::vector<int> members(comm.size());
      for (int r = 0; r < comm.size(); ++r) members[r] = r;
      florenz::GangWatch watch(notices.get(), members, /*gang_id=*/1000, /*timeout_seconds=*/300);
      florenz::MpiCommunicator watched(florenz::MpiComm::Borrow(MPI_COMM_WORLD).Duplicate(),
                                       &watch);
      mpi_table(watched, "mpi (watched)");
    }

#ifdef FLORENZ_HAVE_NCCL
    int devices = 0;
    const cudaError_t probe = cudaGetDeviceCount(&devices);
    if (!torch::cuda::is_available()) {
      if (leader) {
        std::printf(
            "\nNCCL rows skipped: this LibTorch has no CUDA (or sees no GPU; "
            "cudaGetDeviceCount: %s, %d device(s)); build against a CUDA LibTorch "
            "(-DTorch_DIR=...) on a GPU node\n",
            cudaGetErrorString(probe), devices);
      }
    } else if (devices < comm.size()) {
      if (leader) {
        std::printf("\nNCCL rows skipped: NCCL needs one GPU per rank (%d GPU(s), %d ranks)\n",
                    devices, comm.size());
      }
    } else {
      const int device = comm.rank() % devices;
      florenz::MpiCommunicator bootstrap(florenz::MpiComm::Borrow(MPI_COMM_WORLD).Duplicate());
      florenz::NcclCommunicator nccl(bootstrap, device, /*timeout_seconds=*/300);
      // The raw side: a second NCCL communicator of the same ranks on its own stream.
      const RawNccl raw_nccl(raw_comm, comm.rank(), comm.size());
      if (leader) PrintHeader("nccl", comm.size(), samples, true);
      for (int64_t bytes : sizes) {
        torch::Tensor buffer =
            torch::ones({bytes / 4}, torch::dtype(torch::kFloat32).device(torch::kCUDA, device));
        const auto raw = [&] {
          NCCL_CHECK(ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                                   ncclFloat32, ncclSum, raw_nccl.comm, raw_nccl.stream));
        };
        const auto sync = [] { CUDA_CHECK(cudaDeviceSynchronize()); };
        const auto refill = [&] { buffer.fill_(1.0f); };
        Timing t = Measure(
            raw_comm, samples, IterationsFor(bytes),
            [&] { nccl.AllReduce(buffer, florenz::ReduceOp::kSum); }, raw, sync, refill);
        // The non-blocking path of the gradient buckets: own stream, events, a Work per call
        // (dropped at once: the producer stream already waits for it; `sync` ends the sample).
        t.async_s =
            Measure(
                raw_comm, samples, IterationsFor(bytes),
                [&] { nccl.AllReduceAsync(buffer, florenz::ReduceOp::kSum); }, raw, sync, refill)
                .florenz_s;
        if (leader) PrintRow(bytes, comm.size(), t);
      }
    }
#else
    if (leader) std::printf("\nNCCL rows skipped: florenz was built without NCCL\n");
#endif
  } catch (const std::exception& e) {
    // The other ranks may wait in a collective: end the job rather than hang it.
    std::fprintf(stderr, "bench_allreduce: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
