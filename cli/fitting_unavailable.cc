// `florenz fit` and `florenz report` in a build without fitting/ (FLORENZ_WITH_FITTING found no
// Eigen, Ceres or PLplot, as on a GPU node that only trains): the subcommands exist, take any
// arguments, and say where to run them instead.
#include <iostream>

#include "cli/fit_command.h"
#include "cli/report_command.h"
#include "core/exit_codes.h"

namespace florenz {
namespace {

constexpr const char* kWhy =
    " is not in this build of florenz: it was configured without the fitting tool (Eigen, Ceres "
    "or PLplot not found; see FLORENZ_WITH_FITTING). Run it on a machine that has them: it "
    "reads a results folder (or its results.h5) copied from anywhere.";

CLI::App* Unavailable(CLI::App& app, const char* name, const char* what) {
  CLI::App* command = app.add_subcommand(name, std::string(what) + " (not in this build)");
  command->allow_extras();
  return command;
}

}  // namespace

CLI::App* AddFitCommand(CLI::App& app, FitCommand*) {
  return Unavailable(app, "fit", "Fit a scaling law");
}

int RunFitCommand(const FitCommand&) {
  std::cerr << "florenz fit" << kWhy << "\n";
  return kExitFailure;
}

CLI::App* AddReportCommand(CLI::App& app, ReportCommand*) {
  return Unavailable(app, "report", "Write the study report");
}

int RunReportCommand(const ReportCommand&) {
  std::cerr << "florenz report" << kWhy << "\n";
  return kExitFailure;
}

}  // namespace florenz
