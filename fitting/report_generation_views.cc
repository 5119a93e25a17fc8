// The generation views of the study report (see report_generation_views.h). Both plot a pair of
// final metrics against model size, one colour per sample budget, solid for the metric and
// dashed for its contrast (without the prefix; images blanked), then list every run.
#include "fitting/report_generation_views.h"

#include <algorithm>
#include <map>
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

// Per budget (colour), a line through the metric's runs ordered by N: solid with points, or
// dashed with points.
void AddBudgetLines(const ViewMetric& metric, const std::vector<double>& budgets, Chart* chart) {
  for (size_t b = 0; b < budgets.size(); ++b) {
    ChartSeries points;
    points.colour = static_cast<int>(b);
    for (int i = 0; i < metric.runs.size(); ++i) {
      if (metric.runs.d[i] != budgets[b]) continue;
      points.x.push_back(metric.runs.n[i]);
      points.y.push_back(metric.runs.value[i]);
    }
    if (points.x.empty()) continue;
    const std::string label = metric.label + ", D = " + ReportCount(budgets[b]);
    if (metric.dashed) {
      ChartSeries line = points;
      line.style = ChartStyle::kLine;
      line.dashed = true;
      line.label = label;
      chart->series.push_back(line);
    } else {
      points.connect = true;
      points.label = label;
    }
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

// Rows: size, N, D, then one cell per metric ("-" where a run lacks it); runs by (N, D, id).
ReportTable RunTable(const std::string& caption, const std::vector<const ViewMetric*>& metrics,
                     const std::vector<std::string>& headers) {
  ReportTable table;
  table.caption = caption;
  table.header = {"size", "N (parameters)", "D (samples)"};
  table.header.insert(table.header.end(), headers.begin(), headers.end());
  std::map<std::tuple<double, double, std::string>, std::vector<std::string>> rows;
  for (size_t m = 0; m < metrics.size(); ++m) {
    const MetricRuns& runs = metrics[m]->runs;
    for (int i = 0; i < runs.size(); ++i) {
      auto& row = rows[{runs.n[i], runs.d[i], runs.run_id[i]}];
      if (row.empty()) {
        row = {runs.size_name[i], ReportNumber(runs.n[i]), ReportNumber(runs.d[i])};
        row.resize(3 + metrics.size(), "-");
      }
      row[3 + m] = ReportNumber(runs.value[i]);
    }
  }
  for (auto& [key, row] : rows) table.rows.push_back(std::move(row));
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
  Chart chart;
  chart.title = "Unseen captioning: BLEU by model size";
  chart.x_label = "N: model parameters (log scale)";
  chart.y_label = "BLEU (0-100)";
  chart.log_x = true;
  chart.y_min = 0;
  chart.width = options.width, chart.height = options.height;
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
  section.tables.push_back(RunTable("Unseen captioning per run", columns, headers));
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
  Chart chart;
  chart.title = "Disambiguation accuracy by model size";
  chart.x_label = "N: model parameters (log scale)";
  chart.y_label = "accuracy (share of items, chance 0.5)";
  chart.log_x = true;
  chart.y_min = 0.4;
  chart.y_max = 1.0;
  chart.width = options.width, chart.height = options.height;
  const std::vector<double> budgets = Budgets(drawn);
  for (const ViewMetric* m : drawn) AddBudgetLines(*m, budgets, &chart);
  ChartSeries chance;
  chance.style = ChartStyle::kLine;
  chance.label = "chance (0.5)";
  chance.colour = kChartGrey;
  chance.dashed = true;
  const auto sizes = accuracy.runs.Sizes();
  chance.x = {sizes.front().first, sizes.back().first};
  chance.y = {0.5, 0.5};
  chart.series.push_back(chance);
  AddReportFigure(chart, "disambiguation.png",
                  "Disambiguation accuracy against model size, one colour per sample budget; "
                  "solid: with images, dashed: images blanked, grey: chance.",
                  context, &section);
  section.tables.push_back(RunTable("Disambiguation per run", drawn, headers));
  return section;
}

}  // namespace florenz
