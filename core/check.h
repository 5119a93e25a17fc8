// The shared part of the check macros of each library florenz calls (MPI_CHECK and NCCL_CHECK
// in parallel/, H5_CHECK in experiments/): a failed call is reported as
// "<call> failed at <file>:<line>: <the library's own message>", with the file relative to the
// source tree so that messages do not depend on where florenz was built.
#pragma once

#include <string>
#include <string_view>

namespace florenz {

// "<call> failed at <file>:<line>: <detail>". `file` is __FILE__: a path inside the source tree
// is shortened to the part below it ("parallel/mpi_comm.cc").
std::string FailedCallMessage(std::string_view call, std::string_view file, int line,
                              std::string_view detail);

// `file` (a __FILE__) relative to the source tree when it lies inside it, else unchanged.
std::string_view SourceRelativePath(std::string_view file);

}  // namespace florenz
