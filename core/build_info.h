// What this florenz is and what it was built with: its version and git commit, and the versions
// of LibTorch, CUDA, NCCL, HDF5, Ceres and Open MPI it was configured against
// (cmake/FlorenzBuildInfo.cmake). `florenz --version` prints them and each run's /config
// records them, so that a result can say which program computed it.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace florenz {

struct BuildInfo {
  std::string version;  // florenz's, e.g. "0.1.0"
  // The git commit of the source tree the florenz program was built from ("57003b0c1a2b",
  // "-dirty" appended when tracked files differed from it), or "unknown": a source tree outside
  // git, or a test binary (only the florenz program carries it).
  std::string commit;
  // {library, version} in a fixed order: LibTorch, CUDA, NCCL, HDF5, Ceres, MPI. The version is
  // "" where florenz was built without the library (CUDA and NCCL on a CPU build, Ceres without
  // the fitting tool).
  std::vector<std::pair<std::string, std::string>> libraries;
};

BuildInfo GetBuildInfo();

// "LibTorch 1.13.0, HDF5 1.10.8, Ceres 2.1.0, Open MPI 4.1.4": the libraries built with.
std::string BuiltWithText(const BuildInfo& info);

// `florenz --version`: "florenz 0.1.0 (commit …)" and one line naming each library, "not built
// with it" where its version is "".
std::string VersionText(const BuildInfo& info);

}  // namespace florenz
