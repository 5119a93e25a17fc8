// The study report (`florenz report DIR`): the Florenz paper's views of a results folder as a
// static HTML page with PNG figures in DIR/report/. This header holds the report's value types
// (sections of prose, figures and tables, independent of HTML) and the function that writes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fitting/fit_input.h"

namespace florenz {

struct ReportOptions {
  // The results folder: reads DIR/results.h5 (written by `florenz collect DIR`).
  std::string dir;
  // Where to write index.html and the figures. Default (empty): DIR/report.
  std::string out;
  // How compute is counted on the compute axis and in the compute law. Default training FLOPs.
  ComputeUnit compute = ComputeUnit::kFlops;
  // Level of every interval (coefficients, confidence and prediction bands), in (0, 1).
  double confidence = 0.95;
  // The extrapolation predicts at N = (largest trained N) × each factor, at fixed samples.
  // Each factor > 1. Default 10× and 100×.
  std::vector<double> extrapolate = {10.0, 100.0};
  // Per-cell selection over hyperparameter axes (run_selection.h): "auto" selects
  // best:seen_caption when the runs have axes and keeps every run otherwise; "all", "best",
  // "best:METRIC" as for `florenz fit --select`.
  std::string select = "auto";
  // The held-out section's protocol (docs/fitting.md, "The study report"). With `law` set the
  // section fits that law through `florenz fit`'s driver — seed means, explicit holdouts,
  // smoothing, cell-bootstrap prediction intervals — on every run (with a learning-rate
  // variable for bnsl when the runs have several rates), instead of the log-linear law on the
  // selected runs. holdouts: size:NAME, budget:>D, largest[:K]; empty = the largest size and
  // the budgets above half the largest.
  struct Prediction {
    std::string law;
    std::vector<std::string> holdouts;
    bool seed_mean = false;
    int smooth_last = 1;
    int bootstrap = 0;
    uint64_t seed = 0;
  } prediction;
  // Figure size in pixels.
  int width = 1000, height = 620;

  // False (and a message naming the option) for a value outside its range.
  bool IsValid(std::string* error) const;
};

// A figure of the report: a PNG in the report folder.
struct ReportFigure {
  std::string file;     // file name, relative to the report folder (the <img> src)
  std::string caption;  // what it shows, one or two sentences
};

// A table of text cells; every row has header.size() cells.
struct ReportTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// One view of the study. Text is plain (the HTML writer escapes it).
struct ReportSection {
  std::string id;     // HTML anchor, [a-z0-9-]
  std::string title;  // heading
  std::vector<std::string> paragraphs;
  std::vector<ReportFigure> figures;
  std::vector<ReportTable> tables;
  // What this view could not show and why (a metric the grid did not evaluate, too few runs
  // for a fit). Shown highlighted; a section may consist of these alone.
  std::vector<std::string> missing;
};

struct StudyReport {
  std::string title;   // e.g. "florenz study report: quickstart"
  std::string source;  // the results table read
  int runs = 0, completed = 0, failed = 0;
  std::vector<std::string> notes;  // about the input as a whole
  std::vector<ReportSection> sections;
};

// What the views need besides the table: the options and the folder the figures go to.
struct ReportContext {
  ReportOptions options;
  std::filesystem::path out_dir;
};

struct Chart;
// The axes of a report figure.
enum class ReportAxes { kLogX, kLogLog };
// "N: model parameters (log scale)": the horizontal axis of every by-size figure.
inline constexpr char kModelSizeAxis[] = "N: model parameters (log scale)";
// A report figure's frame: its title, axis titles and axes, at the size the options ask for.
Chart ReportChart(const ReportContext& context, const std::string& title,
                  const std::string& x_label, const std::string& y_label, ReportAxes axes);

// Draws `chart` to context.out_dir / file and adds it to `section`; a chart with nothing to draw
// becomes a line of section->missing instead.
void AddReportFigure(const Chart& chart, const std::string& file, const std::string& caption,
                     const ReportContext& context, ReportSection* section);

// Builds every section of the report from `table`, drawing the figures into context.out_dir
// (which must exist). Never throws for missing metrics or fits that cannot be made: the
// sections say so.
StudyReport BuildStudyReport(const FitTable& table, const ReportContext& context);

// What WriteStudyReport produced.
struct ReportSummary {
  std::filesystem::path index;  // the HTML page
  int figures = 0;              // PNGs written
  int sections = 0;
  int missing = 0;  // parts of views that could not be drawn (see the page)
  // The study's findings (report_findings.h), also written to findings.txt beside the page.
  std::vector<std::string> findings;
  // One line: "wrote DIR/report/index.html: 6 sections, 9 figures (2 views incomplete)".
  std::string BriefReport() const;
};

// Reads DIR/results.h5, builds the report and writes out/index.html (atomically) with its
// figures and out/findings.txt (one "- " line per finding). Throws ConfigError for bad options or a
// folder without results.h5 (the message says to run `florenz collect DIR`), IoError when a file
// cannot be written.
ReportSummary WriteStudyReport(const ReportOptions& options);

}  // namespace florenz
