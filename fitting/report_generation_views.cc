// The generation views of the study report (see report_generation_views.h). Both plot a pair of
// final metrics against model size, one colour per sample budget, solid for the metric and
// dashed for its contrast (without the prefix; images blanked), lines through the mean over
// seeds, then tabulate them per (size, budget).
#include "fitting/report_generation_views.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fitting/chart.h"
#include "fitting/report_data.h"

namespace florenz {
namespace {

// One metric of a view: its runs, how its line is labelled and drawn.
struct ViewMetric {
  MetricRuns runs;
  std::string label;  // legend text before ", D = …"
  bool dashed = false;
};

// Per budget (colour): every run as a point, and a line (solid, or dashed for a contrast)
// through the mean over seeds at each model size.
void AddBudgetLines(const ViewMetric& metric, const std::vector<double>& budgets, Chart* chart) {
  for (size_t b = 0; b < budgets.size(); ++b) {
    ChartSeries points, line;
    points.colour = line.colour = static_cast<int>(b);
    std::map<double, std::pair<double, int>> at_size;  // N -> (sum, runs)
    for (int i = 0; i < metric.runs.size(); ++i) {
      if (metric.runs.d[i] != budgets[b]) continue;
      points.x.push_back(metric.runs.n[i]);
      points.y.push_back(metric.runs.value[i]);
      at_size[metric.runs.n[i]].first += metric.runs.value[i];
      at_size[metric.runs.n[i]].second += 1;
    }
    if (points.x.empty()) continue;
    line.style = ChartStyle::kLine;
    line.dashed = metric.dashed;
    line.label = metric.label + ", D = " + ReportCount(budgets[b]);
    for (const auto& [n, sum] : at_size) {
      line.x.push_back(n);
      line.y.push_back(sum.first / sum.second);
    }
    chart->series.push_back(line);
    chart->series.push_back(points);
  }
}

// The union of the budgets of the metrics that have runs.
std::vector<double> Budgets(const std::vector<const ViewMetric*>& metrics) {
  std::vector<double> all;
  for (const ViewMetric* m : metrics) {
    for (const double d : m->runs.Budgets()) {
      if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// Rows: size, N, D, runs, then one cell per metric ("-" where no run has it); one row per
// (size, D), ordered by (N, D). With several seeds a cell is their mean, then each run's value
// in run-id order: "0.52 (0.5, 0.54)".
ReportTable RunTable(const std::string& caption, const std::vector<const ViewMetric*>& metrics,
                     const std::vector<std::string>& headers) {
  ReportTable table;
  table.caption = caption;
  table.header = {"size", "N (parameters)", "D (samples)", "runs (seeds)"};
  table.header.insert(table.header.end(), headers.begin(), headers.end());
  // (N, D, size) -> per metric: run id -> value.
  using Cell = std::map<std::string, double>;
  std::map<std::tuple<double, double, std::string>, std::vector<Cell>> groups;
  for (size_t m = 0; m < metrics.size(); ++m) {
    const MetricRuns& runs = metrics[m]->runs;
    for (int i = 0; i < runs.size(); ++i) {
      auto& cells = groups[{runs.n[i], runs.d[i], runs.size_name[i]}];
      cells.resize(metrics.size());
      cells[m][runs.run_id[i]] = runs.value[i];
    }
  }
  for (const auto& [key, cells] : groups) {
    const auto& [n, d, size] = key;
    std::set<std::string> ids;
    for (const Cell& cell : cells) {
      for (const auto& [id, value] : cell) ids.insert(id);
    }
    std::vector<std::string> row = {size, ReportNumber(n), ReportNumber(d),
                                    std::to_string(ids.size())};
    for (const Cell& cell : cells) {
      if (cell.empty()) {
        row.push_back("-");
        continue;
      }
      double sum = 0;
      std::string each;
      for (const auto& [id, value] : cell) {
        sum += value;
        each += (each.empty() ? "" : ", ") + ReportNumber(value);
      }
      row.push_back(cell.size() == 1
                        ? each
                        : ReportNumber(sum / static_cast<double>(cell.size())) + " (" + each + ")");
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace

ReportSection DecoderPrefixSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  ReportSection section;
  section.id = "prefix";
  section.title = "Unseen captioning: BLEU with and without the decoder prefix";
  section.paragraphs.push_back(
      "BLEU (sacreBLEU's corpus BLEU on florenz's word tokens) of the captions generated for the "
      "evaluation-only captioning pairs, averaged over those pairs: without a prefix the model "
      "may answer in a language it was trained to caption in; with the target language's decoder "
      "prefix forced it is asked to caption in the unseen language. The paper finds that the "
      "prefix unlocks captioning there, and that only larger models caption well with it.");
  ViewMetric with{SelectMetricRuns(table, "unseen_caption_bleu_prefix", options.compute),
                  "with prefix"};
  ViewMetric without{SelectMetricRuns(table, "unseen_caption_bleu", options.compute),
                     "without prefix", true};
  if (with.runs.empty() && without.runs.empty()) {
    section.missing.push_back(
        "BLEU was not evaluated for unseen captioning in these runs (the grid's "
        "evaluation.metrics has no bleu, or the grid has no evaluation-only captioning pair): "
        "with prefix: " +
        with.runs.absent + "; without prefix: " + without.runs.absent + ".");
    return section;
  }
  for (const ViewMetric* m : {&with, &without}) {
    if (m->runs.empty()) section.missing.push_back("BLEU " + m->label + ": " + m->runs.absent);
  }
  std::vector<const ViewMetric*> drawn;
  for (const ViewMetric* m : {&with, &without}) {
    if (!m->runs.empty()) drawn.push_back(m);
  }
  Chart chart = ReportChart(context, "Unseen captioning: BLEU by model size", kModelSizeAxis,
                            "BLEU (0-100)", ReportAxes::kLogX);
  chart.y_min = 0;
  const std::vector<double> budgets = Budgets(drawn);
  for (const ViewMetric* m : drawn) AddBudgetLines(*m, budgets, &chart);
  AddReportFigure(chart, "bleu_prefix.png",
                  "BLEU of unseen-language captions against model size, one colour per sample "
                  "budget; solid: with the decoder prefix, dashed: without.",
                  context, &section);
  // The output-language accuracies explain the BLEU gap; shown when the grid measured them.
  std::vector<ViewMetric> accuracies;
  std::vector<std::string> headers;
  for (const ViewMetric* m : drawn) headers.push_back("BLEU " + m->label);
  for (const auto& [metric, header] :
       {std::pair<std::string, std::string>{"unseen_caption_language_accuracy_prefix",
                                            "in target language, with prefix"},
        {"unseen_caption_language_accuracy", "in target language, without prefix"}}) {
    ViewMetric accuracy{SelectMetricRuns(table, metric, options.compute), header};
    if (accuracy.runs.empty()) continue;
    accuracies.push_back(std::move(accuracy));
    headers.push_back(header);
  }
  std::vector<const ViewMetric*> columns = drawn;
  for (const ViewMetric& a : accuracies) columns.push_back(&a);
  section.tables.push_back(
      RunTable("Unseen captioning per model size and budget (mean over seeds, then each seed)",
               columns, headers));
  return section;
}

ReportSection DisambiguationSection(const FitTable& table, const ReportContext& context) {
  const ReportOptions& options = context.options;
  ReportSection section;
  section.id = "disambiguation";
  section.title = "Lexical disambiguation accuracy by model size";
  section.paragraphs.push_back(
      "Share of ambiguous items (an English sentence with a homonym, two translations) where the "
      "translation that matches the image has the higher likelihood, averaged over the "
      "translation pairs; chance is 0.5. The control blanks the images: a model that uses the "
      "image is better with it than without.");
  ViewMetric accuracy{SelectMetricRuns(table, "disambiguation", options.compute), "with images"};
  ViewMetric blank{SelectMetricRuns(table, "disambiguation_blank", options.compute), "blanked",
                   true};
  if (accuracy.runs.empty()) {
    section.missing.push_back(
        "Disambiguation was not evaluated in these runs (the grid evaluates it when its "
        "languages have ambiguous items and evaluation asks for it): " +
        accuracy.runs.absent + ".");
    return section;
  }
  std::vector<const ViewMetric*> drawn = {&accuracy};
  std::vector<std::string> headers = {"accuracy"};
  if (blank.runs.empty()) {
    section.missing.push_back("The image-blanked control: " + blank.runs.absent);
  } else {
    drawn.push_back(&blank);
    headers.push_back("accuracy, images blanked");
  }
  Chart chart = ReportChart(context, "Disambiguation accuracy by model size", kModelSizeAxis,
                            "accuracy (share of items, chance 0.5)", ReportAxes::kLogX);
  chart.y_min = 0.4;
  chart.y_max = 1.0;
  const std::vector<double> budgets = Budgets(drawn);
  for (const ViewMetric* m : drawn) AddBudgetLines(*m, budgets, &chart);
  ChartSeries chance = LineSeries("chance (0.5)", kChartGrey, true);
  const auto sizes = accuracy.runs.Sizes();
  chance.x = {sizes.front().first, sizes.back().first};
  chance.y = {0.5, 0.5};
  chart.series.push_back(chance);
  AddReportFigure(chart, "disambiguation.png",
                  "Disambiguation accuracy against model size, one colour per sample budget; "
                  "solid: with images, dashed: images blanked, grey: chance.",
                  context, &section);
  section.tables.push_back(
      RunTable("Disambiguation per model size and budget (mean over seeds, then each seed)", drawn,
               headers));
  return section;
}

}  // namespace florenz
