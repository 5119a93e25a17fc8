// Seed means (see seed_mean.h).
#include "fitting/seed_mean.h"

#include <cctype>
#include <cmath>
#include <map>

#include "core/errors.h"

namespace florenz {

std::string CellLabel(const std::string& run_id) {
  std::string id = run_id;
  // The hash: "-" and 8 hex digits at the end.
  const size_t dash = id.rfind('-');
  if (dash != std::string::npos && id.size() - dash == 9) {
    bool hex = true;
    for (size_t i = dash + 1; i < id.size(); ++i) hex &= std::isxdigit(id[i]) != 0;
    if (hex) id.erase(dash);
  }
  // The seed: "-s" and digits, a part of its own.
  for (size_t at = id.find("-s"); at != std::string::npos; at = id.find("-s", at + 1)) {
    size_t end = at + 2;
    while (end < id.size() && std::isdigit(static_cast<unsigned char>(id[end]))) ++end;
    if (end > at + 2 && (end == id.size() || id[end] == '-')) {
      id.erase(at, end - at);
      break;
    }
  }
  return id;
}

FitData SeedMeans(const FitData& runs, std::vector<std::string>* notes) {
  const SourceLocation where{runs.source, 0, 0};
  if (runs.cells.size() != runs.y.size() || runs.y.empty()) {
    throw ConfigError(where,
                      "--target seed-mean averages the runs of each cell (size, budget, axis "
                      "values), which needs config/size and config/samples columns; this table "
                      "has none (a results folder or results.h5 has them)");
  }
  std::map<std::string, int> index;  // cell -> its position in `out`
  std::vector<std::vector<int>> members;
  for (int i = 0; i < runs.size(); ++i) {
    const auto [it, fresh] = index.emplace(runs.cells[i], static_cast<int>(members.size()));
    if (fresh) members.emplace_back();
    members[it->second].push_back(i);
  }
  FitData out;
  out.source = runs.source;
  out.x_names = runs.x_names;
  out.y_name = runs.y_name;
  out.x.assign(runs.x.size(), {});
  int largest = 0, smallest = runs.size();
  for (const std::vector<int>& cell : members) {
    const int first = cell.front();
    for (size_t j = 0; j < runs.x.size(); ++j) {
      for (const int i : cell) {
        if (runs.x[j][i] != runs.x[j][first]) {
          throw ConfigError(where, "--target seed-mean: the runs of cell " +
                                       CellLabel(runs.Label(first)) + " differ in " +
                                       runs.x_names[j] + " (" + runs.Label(first) + " and " +
                                       runs.Label(i) + "); a seed must not change a variable");
        }
      }
      out.x[j].push_back(runs.x[j][first]);
    }
    double sum = 0;
    for (const int i : cell) sum += runs.y[i];
    const double n = static_cast<double>(cell.size());
    const double mean = sum / n;
    double squares = 0;
    for (const int i : cell) squares += (runs.y[i] - mean) * (runs.y[i] - mean);
    const double floor = cell.size() > 1 ? std::sqrt(squares / (n - 1)) / std::sqrt(n) / mean
                                         : std::numeric_limits<double>::quiet_NaN();
    out.y.push_back(mean);
    if (!runs.compute.empty()) out.compute.push_back(runs.compute[first]);
    if (!runs.sizes.empty()) out.sizes.push_back(runs.sizes[first]);
    if (!runs.samples.empty()) out.samples.push_back(runs.samples[first]);
    out.cells.push_back(runs.cells[first]);
    out.seeds.push_back(static_cast<int>(cell.size()));
    out.seed_floor.push_back(floor);
    out.labels.push_back(CellLabel(runs.Label(first)) + " (" + std::to_string(cell.size()) +
                         (cell.size() == 1 ? " seed)" : " seeds)"));
    largest = std::max(largest, static_cast<int>(cell.size()));
    smallest = std::min(smallest, static_cast<int>(cell.size()));
  }
  if (notes != nullptr) {
    notes->push_back("seed means: " + std::to_string(runs.size()) + " runs in " +
                     std::to_string(out.size()) + " cells of " + std::to_string(smallest) +
                     (smallest == largest ? "" : "-" + std::to_string(largest)) +
                     " seeds; each cell is one point");
  }
  return out;
}

}  // namespace florenz
