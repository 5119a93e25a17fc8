// Which cores each training rank of a GPU job runs on (DESIGN.md, "Devices"; issue 26 item 11):
// the cores near its GPU (the GPU's NUMA node, as the kernel lists it for the GPU's PCI device),
// within the cores its launcher allowed it, shared without overlap among the ranks of a node
// that would get the same cores. Pure logic over what the ranks report, tested with made-up
// nodes; orchestrator/core_binding.h gathers the reports and binds.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace florenz {

// A set of CPU ids, ascending, each once.
using CpuList = std::vector<int>;

// The kernel's cpulist format ("0-15,32-47", "3", "" for none; a trailing newline allowed), as
// /sys/bus/pci/devices/<address>/local_cpulist and /proc/self/status print it. nullopt where
// `text` is not one (a letter, a range that runs backwards, an id above 1 << 20).
std::optional<CpuList> ParseCpuList(const std::string& text);

// The same format, ranges collapsed: {0,1,2,3,8} → "0-3,8"; {} → "".
std::string FormatCpuList(const CpuList& cpus);

// The sysfs name of a PCI address as CUDA prints it (cudaDeviceGetPCIBusId: "0000:1B:00.0",
// or with an 8-digit domain as nvidia-smi prints it, "00000000:1B:00.0"): "0000:1b:00.0".
// "" where `bus_id` is not one.
std::string SysfsPciAddress(const std::string& bus_id);

// What one rank of a node reports.
struct RankCores {
  bool trains = false;  // false for the coordinator, which is never bound
  CpuList allowed;      // the cores its launcher allows it (sched_getaffinity)
  CpuList near_gpu;     // its GPU's local cores; empty where not known (no sysfs entry)
};

struct CoreBinding {
  CpuList cores;     // the cores to run on; empty: leave the rank as its launcher bound it
  std::string note;  // why it was left, for the rank's message; "" when bound
};

// One entry per rank of `node`, in the same order (the node's ranks in world order). A training
// rank whose GPU's cores are known runs on `allowed ∩ near_gpu`; the ranks whose intersections
// are the same split it into contiguous, near-equal parts in rank order (two ranks on one NUMA
// node's 16 cores take 8 each), each at least one core (ranks share cores only where there are
// more of them than cores). A rank whose intersection is empty (the launcher bound it away from
// its GPU) or whose GPU's cores are unknown keeps its binding, with a note saying why.
std::vector<CoreBinding> PlanCoreBinding(const std::vector<RankCores>& node);

}  // namespace florenz
