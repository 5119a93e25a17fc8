// AssignDevices (see device_assignment.h): one gather of fixed-size reports to rank 0, the
// plan there, one broadcast of the verdict and one scatter of the devices.
#include "orchestrator/device_assignment.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "orchestrator/device_plan.h"
#include "parallel/mpi_check.h"

namespace florenz {
namespace {

// What one rank sends rank 0, as plain bytes.
struct Report {
  int node = 0;
  int trains = 1;
  int visible_gpus = 0;
  int visible_devices_set = 0;
  char node_name[MPI_MAX_PROCESSOR_NAME] = {};
  char visible_devices[256] = {};
};

constexpr int kDeviceText = 32;  // "cuda:12345"

void CopyText(const std::string& text, char* out, size_t size) {
  std::strncpy(out, text.c_str(), size - 1);
  out[size - 1] = '\0';
}

RankDevices FromReport(const Report& r, int rank) {
  RankDevices d;
  d.rank = rank;
  d.node = r.node;
  d.node_name = r.node_name;
  d.trains = r.trains != 0;
  d.visible_gpus = r.visible_gpus;
  d.visible_devices = r.visible_devices;
  d.visible_devices_set = r.visible_devices_set != 0;
  return d;
}

Report Describe(bool trains, DeviceKind kind, const std::function<int()>& visible_gpus) {
  Report report;
  report.trains = trains ? 1 : 0;
  report.visible_gpus = trains && kind != DeviceKind::kCpu ? visible_gpus() : 0;
  if (const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES")) {
    report.visible_devices_set = 1;
    CopyText(cvd, report.visible_devices, sizeof(report.visible_devices));
  }
  return report;
}

}  // namespace

DeviceAssignment AssignDevices(MPI_Comm comm, DeviceKind kind,
                               const std::function<int()>& visible_gpus) {
  DeviceAssignment assignment;
  if (comm == MPI_COMM_NULL) {  // the embedded mode: this process trains
    Report report = Describe(true, kind, visible_gpus);
    gethostname(report.node_name, sizeof(report.node_name) - 1);
    const DevicePlan plan = PlanDevices(kind, {FromReport(report, 0)});
    assignment.device = plan.devices.front();
    assignment.cuda = plan.cuda;
    assignment.error = plan.error;
    return assignment;
  }
  int rank = 0, size = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_CHECK(MPI_Comm_size(comm, &size));
  // In a multi-rank job rank 0 coordinates and trains nothing.
  Report report = Describe(/*trains=*/size == 1 || rank != 0, kind, visible_gpus);
  // The node: the lowest world rank of this process's shared-memory domain.
  MPI_Comm shared = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared));
  report.node = rank;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &report.node, 1, MPI_INT, MPI_MIN, shared));
  MPI_Comm_free(&shared);
  int length = 0;
  MPI_CHECK(MPI_Get_processor_name(report.node_name, &length));

  std::vector<Report> reports(rank == 0 ? size : 0);
  MPI_CHECK(MPI_Gather(&report, sizeof(Report), MPI_BYTE, reports.data(), sizeof(Report), MPI_BYTE,
                       0, comm));
  std::vector<char> devices(rank == 0 ? static_cast<size_t>(size) * kDeviceText : 0);
  std::string error;
  int cuda = 0;
  if (rank == 0) {
    std::vector<RankDevices> ranks;
    for (int r = 0; r < size; ++r) ranks.push_back(FromReport(reports[r], r));
    const DevicePlan plan = PlanDevices(kind, ranks);
    error = plan.error;
    cuda = plan.cuda ? 1 : 0;
    for (int r = 0; r < size; ++r) {
      CopyText(plan.devices[r], devices.data() + static_cast<size_t>(r) * kDeviceText, kDeviceText);
    }
  }
  int header[2] = {static_cast<int>(error.size()), cuda};
  MPI_CHECK(MPI_Bcast(header, 2, MPI_INT, 0, comm));
  error.resize(header[0]);
  if (header[0] > 0) MPI_CHECK(MPI_Bcast(error.data(), header[0], MPI_CHAR, 0, comm));
  char mine[kDeviceText] = {};
  MPI_CHECK(
      MPI_Scatter(devices.data(), kDeviceText, MPI_CHAR, mine, kDeviceText, MPI_CHAR, 0, comm));
  assignment.device = mine;
  assignment.cuda = header[1] != 0;
  assignment.error = error;
  return assignment;
}

}  // namespace florenz
