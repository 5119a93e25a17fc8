// FitData helpers and the input checks shared by every law (see fit_data.h).
#include "fitting/fit_data.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace florenz {

std::string FitData::Label(int i) const {
  if (i < static_cast<int>(labels.size()) && !labels[i].empty()) return labels[i];
  return "row " + std::to_string(i + 1);
}

FitData FitData::Subset(const std::vector<int>& indices) const {
  FitData out;
  out.source = source;
  out.x_names = x_names;
  out.y_name = y_name;
  out.x.assign(x.size(), {});
  for (auto& column : out.x) column.reserve(indices.size());
  out.y.reserve(indices.size());
  for (const int i : indices) {
    for (size_t j = 0; j < x.size(); ++j) out.x[j].push_back(x[j][i]);
    out.y.push_back(y[i]);
    if (!labels.empty()) out.labels.push_back(labels[i]);
    if (!compute.empty()) out.compute.push_back(compute[i]);
    if (!sizes.empty()) out.sizes.push_back(sizes[i]);
    if (!samples.empty()) out.samples.push_back(samples[i]);
    if (!cells.empty()) out.cells.push_back(cells[i]);
    if (!seeds.empty()) out.seeds.push_back(seeds[i]);
    if (!seed_floor.empty()) out.seed_floor.push_back(seed_floor[i]);
  }
  return out;
}

int FitData::VariableIndex(const std::string& name) const {
  for (size_t j = 0; j < x_names.size(); ++j) {
    if (x_names[j] == name) return static_cast<int>(j);
  }
  return -1;
}

void CheckFitData(const FitData& data, int n_params, const std::string& law) {
  const SourceLocation where{data.source, 0, 0};
  auto check_column = [&](const std::vector<double>& values, const std::string& name) {
    for (int i = 0; i < static_cast<int>(values.size()); ++i) {
      if (!std::isfinite(values[i]) || values[i] <= 0) {
        std::ostringstream message;
        message << "column '" << name << "' has the value " << values[i] << " at " << data.Label(i)
                << "; a power law needs finite values > 0";
        throw ConfigError(where, message.str());
      }
    }
  };
  for (size_t j = 0; j < data.x.size(); ++j) {
    if (data.x[j].size() != data.y.size()) {
      throw ConfigError(where, "column '" + data.x_names[j] + "' has " +
                                   std::to_string(data.x[j].size()) + " values, '" + data.y_name +
                                   "' has " + std::to_string(data.y.size()));
    }
    check_column(data.x[j], data.x_names[j]);
  }
  check_column(data.y, data.y_name);
  if (data.size() <= n_params) {
    throw ConfigError(where, "the " + law + " law has " + std::to_string(n_params) +
                                 " parameters but there are only " + std::to_string(data.size()) +
                                 " points; it needs at least " + std::to_string(n_params + 1));
  }
  for (size_t j = 0; j < data.x.size(); ++j) {
    const std::set<double> distinct(data.x[j].begin(), data.x[j].end());
    if (distinct.size() < 2) {
      std::ostringstream message;
      message << "column '" << data.x_names[j] << "' takes the single value " << data.x[j][0]
              << "; a variable with one distinct value cannot be fitted (drop it from --x or "
                 "widen --where)";
      throw ConfigError(where, message.str());
    }
  }
}

}  // namespace florenz
