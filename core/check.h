// The shared part of the check macros of each library florenz calls (MPI_CHECK and NCCL_CHECK
// in parallel/, H5_CHECK in experiments/): a failed call is reported as
// "<call> failed at <file>:<line>: <the library's own message>", with the file relative to the
// source tree so that messages do not depend on where florenz was built: the build maps the
// source folder out of every __FILE__ (-ffile-prefix-map, CMakeLists.txt), so that neither a
// message nor an installed binary names the folder it was built from.
#pragma once

#include <string>
#include <string_view>

namespace florenz {

// "<call> failed at <file>:<line>: <detail>". `file` is __FILE__, already relative to the
// source tree ("parallel/mpi_comm.cc").
std::string FailedCallMessage(std::string_view call, std::string_view file, int line,
                              std::string_view detail);

}  // namespace florenz
