// Writing the study report (see report.h): read the results table, let each view build its
// section and figures, render the page and publish it atomically.
#include "fitting/report.h"

#include <cmath>
#include <set>
#include <stdexcept>

#include "core/errors.h"
#include "experiments/results_dir.h"
#include "fitting/chart.h"
#include "fitting/report_findings.h"
#include "fitting/report_generation_views.h"
#include "fitting/report_html.h"
#include "fitting/report_scaling_views.h"
#include "fitting/report_sensitivity.h"
#include "fitting/run_selection.h"

namespace florenz {

namespace fs = std::filesystem;

bool ReportOptions::IsValid(std::string* error) const {
  if (dir.empty()) {
    *error = "the results folder is empty";
  } else if (!(confidence > 0 && confidence < 1)) {
    *error = "confidence must lie in (0, 1)";
  } else if (extrapolate.empty()) {
    *error = "extrapolate needs at least one factor";
  } else if (width < 200 || height < 150) {
    *error = "figures must be at least 200 x 150 pixels";
  } else {
    for (const double f : extrapolate) {
      if (!(f > 1) || !std::isfinite(f)) {
        *error = "every extrapolation factor must be a number > 1";
        return false;
      }
    }
    return true;
  }
  return false;
}

Chart ReportChart(const ReportContext& context, const std::string& title,
                  const std::string& x_label, const std::string& y_label, ReportAxes axes) {
  Chart chart;
  chart.title = title;
  chart.x_label = x_label;
  chart.y_label = y_label;
  chart.log_x = true;
  chart.log_y = axes == ReportAxes::kLogLog;
  chart.width = context.options.width;
  chart.height = context.options.height;
  return chart;
}

void AddReportFigure(const Chart& chart, const std::string& file, const std::string& caption,
                     const ReportContext& context, ReportSection* section) {
  try {
    DrawChart(chart, (context.out_dir / file).string());
    section->figures.push_back({file, caption});
  } catch (const std::invalid_argument& e) {
    section->missing.push_back(e.what());
  }
}

StudyReport BuildStudyReport(const FitTable& table, const ReportContext& context) {
  StudyReport report;
  report.source = table.source;
  report.runs = table.rows;
  std::set<std::string> experiments;
  if (table.Has("config/experiment")) {
    for (const auto& name : table.cells.at("config/experiment")) {
      if (!name.empty()) experiments.insert(name);
    }
  }
  report.title =
      "florenz study report: " + (experiments.size() == 1
                                      ? *experiments.begin()
                                      : fs::path(table.source).parent_path().filename().string());
  if (table.Has("status")) {
    for (const auto& status : table.cells.at("status")) {
      report.completed += status == "completed";
      report.failed += status == "failed";
    }
  } else {
    report.completed = table.rows;
    report.notes.push_back("The table has no status column: every row is taken as completed.");
  }
  if (report.completed == 0) {
    report.notes.push_back("No completed run: there is nothing to plot or fit yet.");
  }
  // The held-out section first: under `--law` its fits (bootstraps included) are quoted by the
  // findings rather than made twice.
  const ReportSection holdout = HoldoutSection(table, context);
  ReportSection findings;
  findings.id = "findings";
  findings.title = "Findings";
  findings.paragraphs = StudyFindings(table, context.options,
                                      context.options.prediction.law.empty() ? nullptr : &holdout);
  report.sections.push_back(findings);
  report.sections.push_back(ComputeFrontierSection(table, context));
  report.sections.push_back(LogLinearTableSection(table, context));
  report.sections.push_back(holdout);
  report.sections.push_back(ExtrapolationSection(table, context));
  report.sections.push_back(DecoderPrefixSection(table, context));
  report.sections.push_back(DisambiguationSection(table, context));
  return report;
}

std::string ReportSummary::BriefReport() const {
  std::string text = "wrote " + index.string() + ": " + std::to_string(sections) + " sections, " +
                     std::to_string(figures) + " figures";
  if (missing > 0)
    text += " (" + std::to_string(missing) + " parts could not be shown: see the page)";
  return text;
}

ReportSummary WriteStudyReport(const ReportOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw ConfigError(SourceLocation{"report", 0, 0}, error);
  const fs::path dir = options.dir;
  if (!fs::exists(dir)) {
    throw ConfigError(SourceLocation{dir.string(), 0, 0}, "no such results folder");
  }
  const fs::path results = fs::is_directory(dir) ? ResultsDir(dir).ResultsH5() : dir;
  if (!fs::exists(results)) {
    throw ConfigError(SourceLocation{results.string(), 0, 0},
                      "no results table: run `florenz collect " + dir.string() + "` first");
  }
  const FitTable all = ReadFitTable(results.string());
  // A grid with hyperparameter axes is fitted on the best run of each cell.
  const bool has_axes = !TableAxes(all).empty();
  const std::string select_metric = options.select == "auto"
                                        ? (has_axes ? kDefaultSelectMetric : "")
                                        : ParseSelect(options.select);
  std::vector<std::string> selection_notes;
  const FitTable table =
      select_metric.empty() ? all : SelectBestRuns(all, select_metric, &selection_notes);
  ReportContext context;
  context.options = options;
  context.out_dir =
      options.out.empty() ? ResultsDir(results.parent_path()).ReportDir() : fs::path(options.out);
  std::error_code ec;
  fs::create_directories(context.out_dir, ec);
  if (ec) throw IoError(context.out_dir.string() + ": cannot create the folder: " + ec.message());

  StudyReport report = BuildStudyReport(table, context);
  if (!select_metric.empty()) {
    for (const std::string& note : selection_notes) report.notes.push_back(note);
    if (has_axes) {
      report.sections.insert(report.sections.begin() + 1,
                             SensitivitySection(all, select_metric, context));
    }
  }
  ReportSummary summary;
  summary.index = context.out_dir / "index.html";
  WriteFileAtomically(summary.index, RenderReportHtml(report));
  summary.findings = report.sections.front().paragraphs;
  std::string findings_text;
  for (const std::string& line : summary.findings) findings_text += "- " + line + "\n";
  WriteFileAtomically(context.out_dir / "findings.txt", findings_text);
  summary.sections = static_cast<int>(report.sections.size());
  for (const auto& section : report.sections) {
    summary.figures += static_cast<int>(section.figures.size());
    summary.missing += static_cast<int>(section.missing.size());
  }
  return summary;
}

}  // namespace florenz
