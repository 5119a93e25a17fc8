// The run table of a grid as `florenz validate` prints it: text for people, JSON for tools.
#pragma once

#include <string>

#include "experiments/grid_loader.h"

namespace florenz {

// Header lines (experiment, coverage, counts) and one aligned row per run:
// id, size, parameters, non-embedding parameters, samples, estimated training FLOPs, ranks.
std::string RunTableText(const LoadedGrid& grid);

// {"experiment": ..., "file": ..., "runs": [{"id": ..., "size": ..., "params": ...}, ...]}
std::string RunTableJson(const LoadedGrid& grid);

}  // namespace florenz
