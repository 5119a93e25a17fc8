// The run table of a grid as `florenz validate` prints it: text for people, JSON for tools.
#pragma once

#include <ostream>
#include <string>

#include "experiments/grid_loader.h"

namespace florenz {

// Header lines (experiment, coverage, counts) and one aligned row per run:
// id, size, parameters, non-embedding parameters, samples, estimated training FLOPs, ranks.
std::string RunTableText(const LoadedGrid& grid);
// The same, written to `out` as it is made (`florenz validate`: no copy of a large table).
void WriteRunTableText(const LoadedGrid& grid, std::ostream& out);

// {"experiment": ..., "file": ..., "runs": [{"id": ..., "size": ..., "params": ...}, ...]}
std::string RunTableJson(const LoadedGrid& grid);

}  // namespace florenz
