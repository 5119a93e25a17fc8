// Binds each training rank of a GPU job to the cores near its GPU (core_plan.h), so that its
// input-pipeline threads and the thread that drives the GPU do not run on the other socket's
// cores: the ranks of a node exchange what their launcher allowed them and where their GPU
// sits, each plans the node's binding alike, and each sets its own affinity. A rank the plan
// leaves alone keeps its launcher's binding and says why.
#pragma once

#include <mpi.h>

#include <functional>
#include <string>

#include "orchestrator/core_plan.h"

namespace florenz {

// The cores near CUDA device `index` of this process, as the kernel lists them for the GPU's
// PCI device (/sys/bus/pci/devices/<address>/local_cpulist); empty where the GPU's PCI address
// is unknown or the file is missing or unreadable.
CpuList CoresNearGpu(int index);

// The same for the PCI device at `bus_id` (as CUDA prints it) under the sysfs root `sysfs`.
CpuList CoresNearPciDevice(const std::string& bus_id, const std::string& sysfs = "/sys");

// Collective over `comm` (MPI_COMM_NULL: this process alone). Every rank calls it, `trains`
// false on the coordinator; `near_gpu` is asked on training ranks only. Returns this rank's
// binding, already applied (sched_setaffinity) when its cores are not empty.
CoreBinding BindToGpuCores(MPI_Comm comm, bool trains, const std::function<CpuList()>& near_gpu);

}  // namespace florenz
