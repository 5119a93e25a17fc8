// BindToGpuCores (see core_binding.h): the ranks of a node (MPI_COMM_TYPE_SHARED) gather one
// another's reports as text, so that each plans the whole node and takes its own entry.
#include "orchestrator/core_binding.h"

#include <sched.h>

#include <fstream>
#include <numeric>
#include <sstream>
#include <vector>

#include "parallel/mpi_check.h"
#include "workers/train/device.h"

namespace florenz {
namespace {

CpuList AllowedCores() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CpuList cores;
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cores.push_back(cpu);
  }
  return cores;
}

// "trains;allowed;near_gpu", e.g. "1;0-31;0-15".
std::string Encode(const RankCores& r) {
  return std::string(r.trains ? "1" : "0") + ";" + FormatCpuList(r.allowed) + ";" +
         FormatCpuList(r.near_gpu);
}

RankCores Decode(const std::string& text) {
  RankCores r;
  const size_t a = text.find(';'), b = text.find(';', a + 1);
  r.trains = text.substr(0, a) == "1";
  r.allowed = ParseCpuList(text.substr(a + 1, b - a - 1)).value_or(CpuList{});
  r.near_gpu = ParseCpuList(text.substr(b + 1)).value_or(CpuList{});
  return r;
}

// Every report of the node, in rank order, and this rank's place among them.
std::vector<RankCores> GatherNode(MPI_Comm comm, const RankCores& mine, int* place) {
  if (comm == MPI_COMM_NULL) {
    *place = 0;
    return {mine};
  }
  MPI_Comm node = MPI_COMM_NULL;
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  int size = 1;
  MPI_CHECK(MPI_Comm_size(node, &size));
  MPI_CHECK(MPI_Comm_rank(node, place));
  const std::string text = Encode(mine);
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(size), offsets(size);
  MPI_CHECK(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, node));
  std::exclusive_scan(lengths.begin(), lengths.end(), offsets.begin(), 0);
  std::string all(offsets.back() + lengths.back(), '\0');
  MPI_CHECK(MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                           offsets.data(), MPI_CHAR, node));
  MPI_Comm_free(&node);
  std::vector<RankCores> reports;
  for (int r = 0; r < size; ++r) reports.push_back(Decode(all.substr(offsets[r], lengths[r])));
  return reports;
}

}  // namespace

CpuList CoresNearGpu(int index) { return CoresNearPciDevice(train::GpuPciBusId(index)); }

CpuList CoresNearPciDevice(const std::string& bus_id, const std::string& sysfs) {
  const std::string address = SysfsPciAddress(bus_id);
  if (address.empty()) return {};
  std::ifstream file(sysfs + "/bus/pci/devices/" + address + "/local_cpulist");
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return {};
  return ParseCpuList(text.str()).value_or(CpuList{});
}

CoreBinding BindToGpuCores(MPI_Comm comm, bool trains, const std::function<CpuList()>& near_gpu) {
  RankCores mine;
  mine.trains = trains;
  mine.allowed = AllowedCores();
  if (trains) mine.near_gpu = near_gpu();
  int place = 0;
  const std::vector<RankCores> node = GatherNode(comm, mine, &place);
  CoreBinding binding = PlanCoreBinding(node)[place];
  if (binding.cores.empty() || binding.cores == mine.allowed) return binding;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int cpu : binding.cores) {
    if (cpu < CPU_SETSIZE) CPU_SET(cpu, &mask);
  }
  if (sched_setaffinity(0, sizeof(mask), &mask) != 0) {
    binding.note = "sched_setaffinity to cores " + FormatCpuList(binding.cores) + " failed";
    binding.cores.clear();
  }
  return binding;
}

}  // namespace florenz
