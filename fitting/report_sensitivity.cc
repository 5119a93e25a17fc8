// Sensitivity to the hyperparameter axes (see report_sensitivity.h).
#include "fitting/report_sensitivity.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "fitting/report_data.h"
#include "fitting/run_selection.h"

namespace florenz {
namespace {

double Number(const std::string& cell) {
  if (cell.empty()) return NAN;
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  return end != nullptr && *end == '\0' ? v : NAN;
}

// An axis value as the report prints it: numbers to 3 significant digits.
std::string Shown(const std::string& value) {
  const double v = Number(value);
  return std::isnan(v) ? value : ReportNumber(v, 3);
}

struct Cell {
  double metric_sum = 0, headline_sum = 0;
  int metric_n = 0, headline_n = 0, runs = 0, chosen = 0;
};

// Orders axis values numerically when both are numbers.
bool ValueLess(const std::string& a, const std::string& b) {
  const double x = Number(a), y = Number(b);
  if (!std::isnan(x) && !std::isnan(y)) return x < y;
  return a < b;
}

}  // namespace

ReportSection SensitivitySection(const FitTable& all, const std::string& metric,
                                 const ReportContext& /*context: no figure yet*/) {
  ReportSection section;
  section.id = "sensitivity";
  section.title = "Hyperparameter axes: sensitivity by model size";
  const std::vector<std::string> axes = TableAxes(all);
  const std::string metric_column = MetricColumnOf(all, metric);
  std::string headline_column = MetricColumnOf(all, "unseen_caption_excl_prefix");
  if (headline_column.empty()) headline_column = MetricColumnOf(all, "unseen_caption");
  if (metric_column.empty() || !all.Has("config/size")) {
    section.missing.push_back("the table has no " + metric + " or no config/size column");
    return section;
  }
  section.paragraphs.push_back(
      "Each size was trained at every value of the axis. The fits above use, for each (size, "
      "budget, seed) cell, the run with the lowest " +
      metric + " (--select best:" + metric +
      "): a seen-pair number, so the unseen pairs never choose their own hyperparameters. The "
      "table averages over each size's cells; 'chosen' counts the cells whose selected run has "
      "the value.");
  const FitTable selected = SelectBestRuns(all, metric);
  std::set<std::string> chosen_ids;
  if (selected.Has("run_id")) {
    chosen_ids.insert(selected.cells.at("run_id").begin(), selected.cells.at("run_id").end());
  }
  const auto& metric_cells = all.cells.at(metric_column);
  const auto& sizes = all.cells.at("config/size");
  const std::vector<std::string>* status = all.Has("status") ? &all.cells.at("status") : nullptr;
  // Sizes in order of parameters.
  std::map<std::string, double> size_n;
  for (int r = 0; r < all.rows; ++r) {
    const double n = all.Has("config/non_embedding_params")
                         ? Number(all.cells.at("config/non_embedding_params")[r])
                         : static_cast<double>(r);
    size_n.emplace(sizes[r], n);
  }
  std::vector<std::string> size_order;
  for (const auto& [name, n] : size_n) size_order.push_back(name);
  std::sort(size_order.begin(), size_order.end(),
            [&](const std::string& a, const std::string& b) { return size_n[a] < size_n[b]; });

  for (const std::string& axis : axes) {
    const std::string column = "config/" + axis;
    if (!all.Has(column)) continue;
    const auto& values = all.cells.at(column);
    // size -> value -> (budget, seed) -> row
    std::map<std::string, std::map<std::string, std::map<std::pair<double, double>, int>>> rows;
    for (int r = 0; r < all.rows; ++r) {
      if (status != nullptr && (*status)[r] != "completed") continue;
      const std::pair<double, double> cell{Number(all.cells.at("config/samples")[r]),
                                           Number(all.cells.at("config/seed")[r])};
      rows[sizes[r]][values[r]][cell] = r;
    }
    ReportTable table;
    table.caption = axis + ": means over the (budget, seed) cells that every value of the size has";
    table.header = {"size", axis, "cells", "mean " + metric, "vs best", "mean UC", "chosen"};
    for (const std::string& size : size_order) {
      if (!rows.count(size)) continue;
      auto& by_value = rows[size];
      std::vector<std::string> order;
      for (const auto& [value, cells] : by_value) order.push_back(value);
      std::sort(order.begin(), order.end(), ValueLess);
      // The cells every value has: a fair comparison.
      std::vector<std::pair<double, double>> common;
      for (const auto& [cell, row] : by_value[order.front()]) {
        bool everywhere = true;
        for (const std::string& value : order) everywhere &= by_value[value].count(cell) > 0;
        if (everywhere) common.push_back(cell);
      }
      std::map<std::string, Cell> stats;
      for (const std::string& value : order) {
        Cell& c = stats[value];
        for (const auto& [cell, row] : by_value[value]) {
          if (all.Has("run_id"))
            c.chosen += static_cast<int>(chosen_ids.count(all.cells.at("run_id")[row]));
        }
        for (const auto& cell : common) {
          const int row = by_value[value][cell];
          ++c.runs;
          const double m = Number(metric_cells[row]);
          if (std::isfinite(m)) c.metric_sum += m, ++c.metric_n;
          if (!headline_column.empty()) {
            const double h = Number(all.cells.at(headline_column)[row]);
            if (std::isfinite(h)) c.headline_sum += h, ++c.headline_n;
          }
        }
      }
      double best = INFINITY;
      std::string best_value, most_chosen;
      int chosen_total = 0, most = 0;
      for (const std::string& value : order) {
        const Cell& c = stats[value];
        chosen_total += c.chosen;
        if (c.chosen > most) most = c.chosen, most_chosen = value;
        if (c.metric_n > 0 && c.metric_sum / c.metric_n < best) {
          best = c.metric_sum / c.metric_n, best_value = value;
        }
      }
      double worst_gap = 0;
      for (const std::string& value : order) {
        const Cell& c = stats[value];
        const double mean = c.metric_n > 0 ? c.metric_sum / c.metric_n : NAN;
        const double gap = (mean - best) / best;
        if (std::isfinite(gap)) worst_gap = std::max(worst_gap, gap);
        table.rows.push_back(
            {size, Shown(value), std::to_string(c.runs), ReportNumber(mean, 4),
             std::isfinite(gap) ? "+" + ReportNumber(100 * gap, 2) + "%" : "-",
             c.headline_n > 0 ? ReportNumber(c.headline_sum / c.headline_n, 4) : "-",
             std::to_string(c.chosen)});
      }
      section.paragraphs.push_back(
          size + ": " + axis + " " + (best_value.empty() ? "-" : Shown(best_value)) +
          " has the lowest mean " + metric + " over " + std::to_string(common.size()) +
          " common cells, the worst value " + ReportNumber(100 * worst_gap, 2) + "% higher; " +
          (most_chosen.empty() ? std::string("no cell selected")
                               : Shown(most_chosen) + " was chosen in " + std::to_string(most) +
                                     " of " + std::to_string(chosen_total) + " cells") +
          ".");
    }
    section.tables.push_back(table);
  }
  return section;
}

}  // namespace florenz
