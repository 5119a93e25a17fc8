// Formatting of the run table (see run_table.h).
#include "cli/run_table.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/strings.h"
#include "experiments/branching.h"
#include "experiments/learning_rate_rule.h"
#include "experiments/spec_writer.h"

namespace florenz {
namespace {

std::string Scientific(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

std::string CoverageLine(const ExperimentSpec& spec, Task task) {
  auto it = spec.data.coverage.find(task);
  if (it == spec.data.coverage.end()) return "";
  std::string train, eval;
  for (const auto& [language, role] : it->second) {
    (role == PairRole::kTrain ? train : eval) += " " + language;
  }
  return "  " + ToString(task) + ":" + std::string(10 - ToString(task).size(), ' ') + "trained [" +
         (train.empty() ? "" : train.substr(1)) + "], evaluation-only [" +
         (eval.empty() ? "" : eval.substr(1)) + "]\n";
}

}  // namespace

std::string RunTableText(const LoadedGrid& grid) {
  std::ostringstream out;
  WriteRunTableText(grid, out);
  return out.str();
}

void WriteRunTableText(const LoadedGrid& grid, std::ostream& out) {
  const ExperimentSpec& spec = grid.spec;
  std::set<std::string> sizes;
  std::set<int64_t> budgets, seeds;
  double total_flops = 0;
  int widest = 0;
  for (const auto& run : grid.runs) {
    sizes.insert(run.size().name);
    budgets.insert(run.samples());
    seeds.insert(run.seed());
    total_flops += run.training_flops;
    widest = std::max(widest, run.ranks());
  }
  out << grid.file << ": experiment '" << spec.experiment.name << "', " << grid.runs.size()
      << " runs (" << sizes.size() << " sizes x " << budgets.size() << " budgets x " << seeds.size()
      << (seeds.size() == 1 ? " seed" : " seeds");
  for (const GridAxis& axis : spec.axes) {
    out << " x " << axis.values.size() << " " << axis.key
        << (axis.values.size() == 1 ? " value" : " values");
  }
  if (!spec.include.empty() || !spec.exclude.empty()) out << ", with include/exclude";
  out << ")\n";
  for (const GridAxis& axis : spec.axes) {
    std::string values;
    for (const std::string& v : axis.values) values += (values.empty() ? "" : ", ") + v;
    out << "hyperparameter axis " << axis.path << ": [" << values << "] (run ids: " << axis.tag
        << "<value>)\n";
  }
  out << "coverage (" << ToString(spec.data.image) << " images, " << spec.data.languages.size()
      << " languages):\n";
  out << CoverageLine(spec, Task::kCaption) << CoverageLine(spec, Task::kTranslate) << "\n";

  // Sizes whose rate a learning-rate rule or scale sets (experiments/learning_rate_rule.h)
  // show each run's peak rate and warm-up.
  const bool rates = std::any_of(grid.runs.begin(), grid.runs.end(), [](const RunSpec& run) {
    const TrainingOptions& t = run.spec().training;
    return t.optimizer.learning_rate_rule.kind != LearningRateRuleKind::kConstant ||
           t.optimizer.learning_rate_scale != 1 || t.schedule.warmup_samples_per_param > 0;
  });
  std::vector<std::string> header{"run id",  "size",    "params",
                                  "non-emb", "samples", "est. train FLOPs"};
  if (rates) {
    header.push_back("peak lr");
    header.push_back("warm-up");
  }
  header.push_back("ranks (tp x dp)");
  const size_t numeric_end = header.size() - 1;  // columns 2 .. numeric_end - 1 are numbers
  // A run's cells, made twice (for the widths, then to print) rather than kept: a grid of a
  // million runs would otherwise hold seven million strings (issue 27).
  const auto cells = [rates](const RunSpec& run) {
    std::vector<std::string> row{run.id,
                                 run.size().name,
                                 HumanCount(static_cast<double>(run.cost.params)),
                                 HumanCount(static_cast<double>(run.cost.non_embedding_params)),
                                 HumanCount(static_cast<double>(run.samples())),
                                 Scientific(run.training_flops)};
    if (rates) {
      const TrainingOptions t = run.Training();
      char rate[32];
      std::snprintf(rate, sizeof(rate), "%.3g", t.optimizer.learning_rate);
      row.push_back(rate);
      row.push_back(t.schedule.warmup_samples > 0
                        ? HumanCount(static_cast<double>(t.schedule.warmup_samples))
                        : FormatNumber(t.schedule.warmup_fraction * 100) + " %");
    }
    row.push_back(std::to_string(run.ranks()) + " (" + std::to_string(run.tp) + " x " +
                  std::to_string(run.dp) + ")");
    return row;
  };
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& run : grid.runs) {
    const std::vector<std::string> row = cells(run);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string line;
  auto print_row = [&](const std::vector<std::string>& row) {
    line.clear();
    for (size_t i = 0; i < row.size(); ++i) {
      const bool numeric = i >= 2 && i < numeric_end;
      const size_t pad = width[i] - row[i].size();
      if (numeric) line.append(pad, ' ');
      line += row[i];
      if (!numeric && i + 1 < row.size()) line.append(pad, ' ');
      if (i + 1 < row.size()) line += "  ";
    }
    line += '\n';
    out << line;
  };
  print_row(header);
  for (const auto& run : grid.runs) print_row(cells(run));
  out << "\ntotal: " << Scientific(total_flops) << " estimated training FLOPs; largest gang "
      << widest << (widest == 1 ? " rank" : " ranks") << "\n";
  const BranchingSavings savings = TrainedSamples(grid.runs);
  if (spec.training.branching) {
    int branches = 0;
    for (const auto& run : grid.runs) branches += !run.trunk.empty();
    out << "branching: " << branches << " of " << grid.runs.size()
        << " runs branch off a trunk; the grid trains "
        << HumanCount(static_cast<double>(savings.with_branching)) << " samples ("
        << HumanCount(static_cast<double>(savings.without_branching)) << " without branching, "
        << std::fixed << std::setprecision(2)
        << static_cast<double>(savings.without_branching) /
               static_cast<double>(std::max<int64_t>(1, savings.with_branching))
        << "x fewer)\n";
  }
}

std::string RunTableJson(const LoadedGrid& grid) {
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  for (const RunSpec& run : grid.runs) {
    const ModelSize& s = run.size();
    runs.push_back({{"id", run.id},
                    {"size", s.name},
                    {"d_model", s.d_model},
                    {"encoder_layers", s.encoder_layers},
                    {"decoder_layers", s.decoder_layers},
                    {"heads", s.heads},
                    {"ffn", s.ffn},
                    {"params", run.cost.params},
                    {"non_embedding_params", run.cost.non_embedding_params},
                    {"samples", run.samples()},
                    {"seed", run.seed()},
                    {"forward_flops_per_sample", run.cost.forward_flops},
                    {"training_flops", run.training_flops},
                    {"tensor_parallel", run.tp},
                    {"data_parallel", run.dp},
                    {"ranks", run.ranks()}});
    if (grid.spec.training.branching) {  // budget branching: what the run trains, off which trunk
      runs.back()["trained_samples"] = run.TrainedSamples();
      runs.back()["trunk"] = run.trunk;
    }
    for (const auto& [key, value] : run.axis_values) runs.back()[key] = value;
  }
  const nlohmann::ordered_json table = {
      {"file", grid.file}, {"experiment", grid.spec.experiment.name}, {"runs", runs}};
  return table.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace florenz
