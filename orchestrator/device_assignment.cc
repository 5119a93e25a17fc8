// AssignDevices (see device_assignment.h): one gather of every rank's report to rank 0 (its
// length, then its text: no fixed-size fields), the plan there, one broadcast of the verdict
// and one scatter of the devices.
#include "orchestrator/device_assignment.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "orchestrator/device_plan.h"
#include "parallel/mpi_check.h"

namespace florenz {
namespace {

constexpr int kDeviceText = 32;  // "cuda:12345"

// A report as the text rank 0 gathers: its fields separated by NUL, which neither host names,
// environment values nor GPU identities contain; the GPU identities come last.
std::string Encode(const RankDevices& r) {
  std::string text;
  auto field = [&](const std::string& value) {
    text += value;
    text.push_back('\0');
  };
  field(std::to_string(r.node));
  field(r.trains ? "1" : "0");
  field(std::to_string(r.visible_gpus));
  field(r.visible_devices_set ? "1" : "0");
  field(r.node_name);
  field(r.visible_devices);
  for (const auto& id : r.gpu_ids) field(id);
  return text;
}

RankDevices Decode(const char* data, size_t size, int rank) {
  std::vector<std::string> fields;
  for (size_t begin = 0; begin < size;) {
    const size_t end = std::find(data + begin, data + size, '\0') - data;
    fields.emplace_back(data + begin, end - begin);
    begin = end + 1;
  }
  fields.resize(std::max<size_t>(fields.size(), 6));  // Encode writes six at least
  RankDevices r;
  r.rank = rank;
  r.node = std::atoi(fields[0].c_str());
  r.trains = fields[1] == "1";
  r.visible_gpus = std::atoi(fields[2].c_str());
  r.visible_devices_set = fields[3] == "1";
  r.node_name = fields[4];
  r.visible_devices = fields[5];
  r.gpu_ids.assign(fields.begin() + 6, fields.end());
  return r;
}

RankDevices Describe(bool trains, DeviceKind kind,
                     const std::function<std::vector<std::string>()>& visible_gpu_ids) {
  RankDevices report;
  report.trains = trains;
  if (trains && kind != DeviceKind::kCpu) {
    report.gpu_ids = visible_gpu_ids();
    report.visible_gpus = static_cast<int>(report.gpu_ids.size());
  }
  if (const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES")) {
    report.visible_devices_set = true;
    report.visible_devices = cvd;
  }
  return report;
}

}  // namespace

DeviceAssignment AssignDevices(MPI_Comm comm, DeviceKind kind,
                               const std::function<std::vector<std::string>()>& visible_gpu_ids) {
  DeviceAssignment assignment;
  if (comm == MPI_COMM_NULL) {  // the embedded mode: this process trains
    RankDevices report = Describe(true, kind, visible_gpu_ids);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    report.node_name = host;
    const DevicePlan plan = PlanDevices(kind, {report});
    assignment.device = plan.devices.front();
    assignment.cuda = plan.cuda;
    assignment.error = plan.error;
    return assignment;
  }
  int rank = 0, size = 1;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_CHECK(MPI_Comm_size(comm, &size));
  // In a multi-rank job rank 0 coordinates and trains nothing.
  RankDevices report = Describe(/*trains=*/size == 1 || rank != 0, kind, visible_gpu_ids);
  // The node: the lowest world rank of this process's shared-memory domain.
  MPI_Comm shared = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared));
  report.node = rank;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &report.node, 1, MPI_INT, MPI_MIN, shared));
  MPI_Comm_free(&shared);
  char processor[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_CHECK(MPI_Get_processor_name(processor, &length));
  report.node_name.assign(processor, length);

  // Gather the reports' lengths, then their text.
  const std::string text = Encode(report);
  int text_size = static_cast<int>(text.size());
  std::vector<int> sizes(rank == 0 ? size : 0), offsets(rank == 0 ? size : 0);
  MPI_CHECK(MPI_Gather(&text_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, comm));
  if (rank == 0) std::exclusive_scan(sizes.begin(), sizes.end(), offsets.begin(), 0);
  std::vector<char> texts(rank == 0 ? std::accumulate(sizes.begin(), sizes.end(), size_t{0}) : 0);
  MPI_CHECK(MPI_Gatherv(text.data(), text_size, MPI_CHAR, texts.data(), sizes.data(),
                        offsets.data(), MPI_CHAR, 0, comm));

  std::vector<char> devices(rank == 0 ? static_cast<size_t>(size) * kDeviceText : 0);
  std::string error;
  int cuda = 0;
  if (rank == 0) {
    std::vector<RankDevices> ranks;
    for (int r = 0; r < size; ++r) ranks.push_back(Decode(texts.data() + offsets[r], sizes[r], r));
    const DevicePlan plan = PlanDevices(kind, ranks);
    error = plan.error;
    cuda = plan.cuda ? 1 : 0;
    for (int r = 0; r < size; ++r) {
      std::strncpy(devices.data() + static_cast<size_t>(r) * kDeviceText, plan.devices[r].c_str(),
                   kDeviceText - 1);
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

DeviceAssignment AssignDevices(MPI_Comm comm, DeviceKind kind,
                               const std::function<int()>& visible_gpus) {
  return AssignDevices(comm, kind, [&] { return std::vector<std::string>(visible_gpus(), ""); });
}

}  // namespace florenz
