// Build facts (see build_info.h). The versions come from the header CMake configures
// (build_info_config.h); the commit from florenz_build_commit(), which only the florenz
// program defines (a file regenerated at each build when the commit changes,
// cli/CMakeLists.txt), so that a new commit relinks the program but not every test.
#include "core/build_info.h"

#include "build_info_config.h"

// Defined by the florenz program; null in test binaries.
extern "C" const char* florenz_build_commit() __attribute__((weak));

namespace florenz {

BuildInfo GetBuildInfo() {
  BuildInfo info;
  info.version = FLORENZ_BUILD_VERSION;
  info.commit = florenz_build_commit != nullptr ? florenz_build_commit() : "unknown";
  info.libraries = {{"LibTorch", FLORENZ_BUILD_LIBTORCH}, {"CUDA", FLORENZ_BUILD_CUDA},
                    {"NCCL", FLORENZ_BUILD_NCCL},         {"HDF5", FLORENZ_BUILD_HDF5},
                    {"Ceres", FLORENZ_BUILD_CERES},       {"MPI", FLORENZ_BUILD_MPI}};
  return info;
}

std::string BuiltWithText(const BuildInfo& info) {
  std::string text;
  for (const auto& [library, version] : info.libraries) {
    if (version.empty()) continue;
    if (!text.empty()) text += ", ";
    // The MPI entry is the library's own name and version ("Open MPI 4.1.4").
    text += library == "MPI" ? version : library + " " + version;
  }
  return text;
}

std::string VersionText(const BuildInfo& info) {
  std::string text = "florenz " + info.version + " (commit " + info.commit + ")\nbuilt with:";
  for (const auto& [library, version] : info.libraries) {
    text += "\n  " + library + ": " + (version.empty() ? "not built with it" : version);
  }
  return text;
}

}  // namespace florenz
