// RunFit and its text/JSON output (see fit_driver.h). Each law is fitted by FitOnce() into a
// parameter vector plus an evaluator; bootstrap, predictions and holdout work on that form.
#include "fitting/fit_driver.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "core/errors.h"
#include "experiments/spec_reader.h"
#include "fitting/bootstrap.h"
#include "fitting/compute_optimal.h"
#include "fitting/loglinear_fit.h"
#include "fitting/pareto.h"

namespace florenz {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Evaluator =
    std::function<double(const std::vector<double>& params, const std::vector<double>& x)>;

// One law fitted once: parameters, derived quantities and how to evaluate the law.
struct Fitted {
  std::string formula;
  std::vector<std::string> eval_names;  // the evaluator's inputs
  std::vector<std::string> names;
  std::vector<double> params;
  std::vector<std::string> derived_names;
  std::vector<double> derived;
  Evaluator eval;
  bool has_ols = false;
  LogLinearFit ols;  // log-linear law, or the compute law without E
  double objective = kNaN, r2 = kNaN;
  int fitted_points = 0;
  std::vector<int> frontier;
  std::vector<IsoflopBudget> budgets;
  std::vector<std::string> notes;
  std::vector<FitTurn> turns;      // bnsl
  std::vector<double> warm_start;  // the Huber solution, for bootstrap resamples
};

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// The broken law's variables by their roles: N (N, params, non_embedding_params), D (D,
// samples) and the learning rate (learning_rate, lr), as bnsl_fit.h names them.
FitData WithBnslNames(const FitData& data) {
  FitData named = data;
  for (std::string& name : named.x_names) {
    if (name == "params" || name == "non_embedding_params") name = "N";
    if (name == "samples") name = "D";
  }
  return named;
}

// A BnslFit holding `p` (BnslFit::Parameters order), to evaluate a law of other parameters.
BnslFit BnslOf(const std::vector<std::string>& names, const std::vector<double>& p) {
  BnslFit law;
  law.x_names = names;
  law.has_learning_rate = p.size() == 10;
  law.E = p[0], law.A = p[1], law.alpha = p[2], law.B = p[3], law.beta = p[4], law.c = p[5];
  law.f = p[6], law.k = p[7], law.g = p[8], law.h = law.has_learning_rate ? p[9] : 0.0;
  return law;
}

std::string Short(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g", v);
  return buffer;
}

// The (N, rate) points of `named` (bnsl names), each once, with the break and turning point of
// `law` there.
std::vector<FitTurn> BnslTurns(const FitData& named, const BnslFit& law, double d_lo, double d_hi,
                               bool held_out) {
  const int jn = named.VariableIndex("N");
  int jr = named.VariableIndex("learning_rate");
  if (jr < 0) jr = named.VariableIndex("lr");
  std::vector<FitTurn> turns;
  std::map<std::pair<double, double>, bool> seen;
  for (int i = 0; i < named.size(); ++i) {
    const double n = named.x[jn][i], lr = jr >= 0 ? named.x[jr][i] : 1.0;
    if (!seen.emplace(std::make_pair(n, lr), true).second) continue;
    FitTurn turn;
    turn.n = n;
    if (jr >= 0) turn.learning_rate = lr;
    turn.break_d = law.BreakD(n, lr);
    turn.turning_d = law.TurningD(n, lr);
    turn.outside = turn.break_d < d_lo || turn.break_d > d_hi;
    turn.d_low = d_lo, turn.d_high = d_hi;
    turn.held_out = held_out;
    turns.push_back(turn);
  }
  return turns;
}

std::string TurnText(const FitTurn& turn) {
  std::string line =
      std::string(turn.held_out ? "held out " : "") + "N=" + Short(turn.n) +
      (std::isfinite(turn.learning_rate) ? ", lr=" + Short(turn.learning_rate) : "") +
      ": break at D=" + Short(turn.break_d);
  line += std::isfinite(turn.turning_d) ? ", turns up at D=" + Short(turn.turning_d)
                                        : ", no turning point";
  if (turn.outside) {
    line += "; warning: the break lies outside the fitted D range [" + Short(turn.d_low) + ", " +
            Short(turn.d_high) + "], where the data cannot place it";
  }
  return line;
}

Fitted FitOnce(const FitData& data, const FitOptions& options, const std::vector<double>* warm) {
  Fitted f;
  const SourceLocation where{data.source, 0, 0};
  switch (options.law) {
    case Law::kLogLinear: {
      LogLinearOptions ols;
      ols.confidence = options.confidence;
      f.ols = FitLogLinear(data, ols);
      f.has_ols = true;
      f.eval_names = data.x_names;
      f.names = f.ols.names;
      f.params.assign(f.ols.coef.data(), f.ols.coef.data() + f.ols.coef.size());
      f.eval = [](const std::vector<double>& p, const std::vector<double>& x) {
        double log_y = p[0];
        for (size_t j = 0; j < x.size(); ++j) log_y += p[j + 1] * std::log10(x[j]);
        return std::pow(10.0, log_y);
      };
      std::vector<std::string> terms;
      for (const auto& x : data.x_names) terms.push_back("b_" + x + " log10 " + x);
      f.formula = "log10 " + data.y_name + " = b0 + " + Join(terms, " + ");
      f.objective = f.ols.rss;
      f.r2 = f.ols.r2;
      f.fitted_points = data.size();
      break;
    }
    case Law::kAdditive: {
      HuberFitOptions huber = options.huber;
      huber.threads = warm != nullptr ? 1 : options.threads;
      if (warm != nullptr) huber.starts = {*warm};
      const AdditiveFit fit = FitAdditive(data, huber);
      f.eval_names = data.x_names;
      f.names = fit.ParameterNames();
      f.params = fit.Parameters();
      f.warm_start = fit.LogParameters();
      const bool has_e = fit.has_irreducible;
      f.eval = [has_e](const std::vector<double>& p, const std::vector<double>& x) {
        double y = has_e ? p[0] : 0.0;
        for (size_t j = 0; j < x.size(); ++j)
          y += p[has_e + 2 * j] * std::pow(x[j], -p[has_e + 2 * j + 1]);
        return y;
      };
      std::vector<std::string> terms;
      if (has_e) terms.push_back("E");
      for (const auto& x : data.x_names) terms.push_back("A_" + x + "/" + x + "^alpha_" + x);
      f.formula = data.y_name + " = " + Join(terms, " + ");
      f.objective = fit.objective;
      f.fitted_points = data.size();
      if (warm == nullptr) {
        f.notes.push_back("best of " + std::to_string(fit.starts) + " starts (" +
                          std::to_string(fit.converged_starts) + " converged); " +
                          fit.ceres_report);
      }
      const int n = data.VariableIndex("N"), d = data.VariableIndex("D");
      // The compute-optimal allocation exists only when the loss falls with both N and D.
      if (n >= 0 && d >= 0 && fit.exponent[n] > 0 && fit.exponent[d] > 0) {
        const ComputeOptimal opt = ComputeOptimalAllocation(fit, n, d);
        f.derived_names = {"a (N_opt ~ C^a)", "b (D_opt ~ C^b)", "G"};
        f.derived = {opt.a, opt.b, opt.g};
      } else if (n >= 0 && d >= 0 && warm == nullptr) {
        f.notes.push_back(
            "no compute-optimal allocation: the loss does not fall with both N and "
            "D (alpha_N " +
            Short(fit.exponent[n]) + ", alpha_D " + Short(fit.exponent[d]) + ")");
      }
      break;
    }
    case Law::kCompute: {
      ComputeLawOptions law;
      law.with_irreducible = options.with_irreducible;
      law.loglinear.confidence = options.confidence;
      law.huber = options.huber;
      law.huber.threads = warm != nullptr ? 1 : options.threads;
      if (warm != nullptr) law.huber.starts = {*warm};
      const ComputeLawFit fit = FitComputeLaw(data, law);
      f.eval_names = data.x_names;
      f.frontier = fit.frontier;
      f.fitted_points = static_cast<int>(fit.frontier.size());
      if (fit.with_irreducible) {
        f.names = {"E", "a", "b"};
        f.params = {fit.irreducible, fit.a, fit.b};
        f.warm_start = fit.additive.LogParameters();
        f.objective = fit.additive.objective;
        f.formula = data.y_name + " = E + a * C^b  (Pareto frontier)";
        f.eval = [](const std::vector<double>& p, const std::vector<double>& x) {
          return p[0] + p[1] * std::pow(x[0], p[2]);
        };
      } else {
        f.names = {"a", "b"};
        f.params = {fit.a, fit.b};
        f.ols = fit.loglinear;
        f.has_ols = true;
        f.objective = fit.loglinear.rss;
        f.r2 = fit.loglinear.r2;
        f.formula = data.y_name + " = a * C^b  (Pareto frontier)";
        f.eval = [](const std::vector<double>& p, const std::vector<double>& x) {
          return p[0] * std::pow(x[0], p[1]);
        };
      }
      break;
    }
    case Law::kIsoflop: {
      const IsoflopFit fit = FitIsoflop(data, options.isoflop);
      f.eval_names = {"C"};
      f.names = {"G", "a"};
      f.params = {fit.g, fit.a};
      f.formula = "N_opt = G * C^a  (parabola in log N per compute budget)";
      f.eval = [](const std::vector<double>& p, const std::vector<double>& x) {
        return p[0] * std::pow(x[0], p[1]);
      };
      f.fitted_points = data.size();
      f.budgets = fit.budgets;
      f.notes = fit.warnings;
      for (const auto& b : fit.budgets) {
        std::ostringstream line;
        line << "budget C=" << b.compute << ": " << b.points << " sizes, N_opt=" << b.n_opt
             << ", loss " << b.loss_at_opt << (b.interior ? "" : " (not interior)");
        if (b.c2 > 0) f.notes.push_back(line.str());
      }
      break;
    }
    case Law::kLrOptimum: {
      // The isoFLOP machinery with the rate as "N" and the width as "C": a parabola of log y in
      // log lr per width, its minimum lr*, and lr*(width) = G width^a across widths.
      const int jw = data.VariableIndex("width") >= 0 ? data.VariableIndex("width") : 0;
      const int jr = 1 - jw;
      FitData sweep = data;
      sweep.x_names = {"N", "C"};
      sweep.x = {data.x[jr], data.x[jw]};
      std::vector<std::string> parabola_warnings;  // the refusal below says more
      std::string edges;
      const std::vector<IsoflopBudget> widths =
          FitParabolas(sweep, options.isoflop, &parabola_warnings);
      if (widths.size() < 2) {
        throw ConfigError(SourceLocation{data.source, 0, 0},
                          "the learning-rate sweep needs at least 2 widths with 3 or more rates "
                          "each; found " +
                              std::to_string(widths.size()));
      }
      for (const auto& width : widths) {
        if (width.interior) continue;
        edges +=
            (edges.empty() ? "" : "; ") + ("width " + Short(width.compute) + ": ") +
            (width.c2 > 0 ? "the optimum lr " + Short(width.n_opt) + " lies outside the rates tried"
                          : "no minimum (the loss only falls or only rises over the rates)");
      }
      if (!edges.empty() && warm == nullptr) {
        throw ConfigError(SourceLocation{data.source, 0, 0},
                          "the learning-rate sweep does not bracket every width's optimum (" +
                              edges + "); widen the learning-rate axis past it and train again");
      }
      const IsoflopFit fit = FitIsoflop(sweep, options.isoflop);
      f.eval_names = {data.x_names[jw]};
      f.names = {"G", "a"};
      f.params = {fit.g, fit.a};
      f.formula = "lr*(" + data.x_names[jw] + ") = G * " + data.x_names[jw] +
                  "^a  (parabola in log lr per width)";
      f.eval = [](const std::vector<double>& p, const std::vector<double>& x) {
        return p[0] * std::pow(x[0], p[1]);
      };
      f.fitted_points = data.size();
      if (warm == nullptr) {
        for (const auto& width : fit.budgets) {
          f.notes.push_back("width " + Short(width.compute) + ": " + std::to_string(width.points) +
                            " runs, lr* = " + Short(width.n_opt) + ", " + data.y_name + " " +
                            Short(width.loss_at_opt) + " there");
        }
        const double base = fit.budgets.front().compute;
        f.notes.push_back("learning-rate rule for the grid: training.optimizer: {learning_rate: " +
                          Short(fit.g * std::pow(base, fit.a)) +
                          ", learning_rate_rule: {kind: power, base_width: " + Short(base) +
                          ", exponent: " + Short(fit.a) + "}}");
      }
      break;
    }
    case Law::kBnsl: {
      const FitData named = WithBnslNames(data);
      BnslFitOptions bnsl = options.bnsl;
      bnsl.threads = warm != nullptr ? 1 : options.threads;
      if (warm != nullptr) bnsl.starts = {*warm}, bnsl.check_input = false;
      const BnslFit fit = FitBnsl(named, bnsl);
      f.eval_names = data.x_names;
      f.names = fit.ParameterNames();
      f.params = fit.Parameters();
      f.warm_start = fit.SolverParameters();
      const std::vector<std::string> names = named.x_names;
      f.eval = [names](const std::vector<double>& p, const std::vector<double>& x) {
        return BnslOf(names, p).Predict(x);
      };
      f.formula = data.y_name + " = E + A/N^alpha + B/D^beta (1 + (D/D_b)^(1/f))^(-c f), D_b = " +
                  (fit.has_learning_rate ? "k N^g lr^h" : "k N^g");
      f.objective = fit.objective;
      f.fitted_points = data.size();
      // The break and the turning point at the smallest and the largest N of the full data
      // (bnsl_anchors: the same points in every bootstrap resample), at the median rate.
      for (size_t a = 0; a < options.bnsl_anchors.size(); ++a) {
        const auto& [n, lr] = options.bnsl_anchors[a];
        if (n <= 0) break;  // none (RunFit: a degenerate break)
        f.derived_names.push_back("D_break(N=" + Short(n) + ")");
        f.derived.push_back(fit.BreakD(n, lr));
      }
      if (warm == nullptr) {
        f.notes.push_back("best of " + std::to_string(fit.starts) + " starts (" +
                          std::to_string(fit.converged_starts) + " converged); " +
                          fit.ceres_report);
        const double d_lo = *std::min_element(named.x[named.VariableIndex("D")].begin(),
                                              named.x[named.VariableIndex("D")].end());
        const double d_hi = *std::max_element(named.x[named.VariableIndex("D")].begin(),
                                              named.x[named.VariableIndex("D")].end());
        f.turns = BnslTurns(named, fit, d_lo, d_hi, false);
        for (const FitTurn& turn : f.turns) f.notes.push_back(TurnText(turn));
      }
      break;
    }
  }
  return f;
}

std::vector<double> PointX(const FitData& data, const std::vector<std::string>& names, int i) {
  std::vector<double> x;
  for (const auto& name : names) x.push_back(data.x[data.VariableIndex(name)][i]);
  return x;
}

}  // namespace

// --holdout: largest[:K] | size:NAME | budget:>D, into `options`.
void ParseHoldout(const std::string& text, FitOptions* options) {
  if (text.empty()) return;
  if (text == "largest") {
    options->holdout = 1;
    return;
  }
  if (text.rfind("largest:", 0) == 0) {
    const std::string k = text.substr(8);
    char* end = nullptr;
    const long value = std::strtol(k.c_str(), &end, 10);
    if (!k.empty() && end == k.c_str() + k.size() && value >= 1) {
      options->holdout = static_cast<int>(value);
      return;
    }
  }
  if (text.rfind("size:", 0) == 0 && text.size() > 5) {
    options->holdout_size = text.substr(5);
    return;
  }
  int64_t budget = 0;
  if (text.rfind("budget:>", 0) == 0 && ParseCount(text.substr(8), &budget) && budget > 0) {
    options->holdout_budget_above = static_cast<double>(budget);
    return;
  }
  throw ConfigError(SourceLocation{"--holdout", 0, 0},
                    "'" + text +
                        "' is not largest, largest:K (K >= 1), size:NAME or budget:>D (D a "
                        "sample count such as 6000 or 6k)");
}

// --smooth: "" or last:K.
int ParseSmooth(const std::string& text) {
  if (text.empty()) return 1;
  if (text.rfind("last:", 0) == 0) {
    const std::string k = text.substr(5);
    char* end = nullptr;
    const long value = std::strtol(k.c_str(), &end, 10);
    if (!k.empty() && end == k.c_str() + k.size() && value >= 1 && value <= 1000000) {
      return static_cast<int>(value);
    }
  }
  throw ConfigError(SourceLocation{"--smooth", 0, 0}, "'" + text + "' is not last:K (K >= 1)");
}

std::string FitOptions::HoldoutText() const {
  if (holdout > 0) return holdout == 1 ? "largest" : "largest:" + std::to_string(holdout);
  if (!holdout_size.empty()) return "size:" + holdout_size;
  if (holdout_budget_above > 0) {
    char buffer[48];
    std::snprintf(buffer, sizeof(buffer), "budget:>%.15g", holdout_budget_above);
    return buffer;
  }
  return "";
}

std::string ToString(Law law) {
  switch (law) {
    case Law::kLogLinear:
      return "loglinear";
    case Law::kAdditive:
      return "additive";
    case Law::kCompute:
      return "compute";
    case Law::kIsoflop:
      return "isoflop";
    case Law::kBnsl:
      return "bnsl";
    case Law::kLrOptimum:
      return "lr-optimum";
  }
  return "?";
}

Law LawFromString(const std::string& text) {
  for (const Law law : {Law::kLogLinear, Law::kAdditive, Law::kCompute, Law::kIsoflop, Law::kBnsl,
                        Law::kLrOptimum}) {
    if (ToString(law) == text) return law;
  }
  if (text == "chinchilla") return Law::kAdditive;  // Hoffmann et al.'s name for it
  throw ConfigError(
      SourceLocation{"--law", 0, 0},
      "unknown law '" + text +
          "' (loglinear, additive (alias chinchilla), compute, isoflop, bnsl or lr-optimum)");
}

namespace {

// The law's inputs: the data's variables, or C for the isoFLOP analysis (which predicts N_opt).
std::vector<std::string> EvaluatorNames(const FitData& data, Law law) {
  if (law == Law::kLrOptimum) {
    return {data.x_names[data.VariableIndex("width") >= 0 ? data.VariableIndex("width") : 0]};
  }
  return law == Law::kIsoflop ? std::vector<std::string>{"C"} : data.x_names;
}

// Every --predict point in evaluator order; throws ConfigError for a missing or unknown
// variable or a value that is not > 0.
std::vector<std::vector<double>> PredictionPoints(const std::vector<std::string>& names,
                                                  const FitOptions& options) {
  std::vector<std::vector<double>> points;
  for (const auto& at : options.predict) {
    std::vector<double> x;
    for (const auto& name : names) {
      const auto it = at.find(name);
      if (it == at.end()) {
        throw ConfigError(SourceLocation{"--predict", 0, 0},
                          "a prediction needs a value for every variable: " + Join(names, ", ") +
                              " (missing " + name + ")");
      }
      if (!(it->second > 0) || !std::isfinite(it->second)) {
        throw ConfigError(SourceLocation{"--predict", 0, 0}, name + " must be a number > 0");
      }
      x.push_back(it->second);
    }
    for (const auto& [name, value] : at) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw ConfigError(
            SourceLocation{"--predict", 0, 0},
            "'" + name + "' is not a variable of the law (" + Join(names, ", ") + ")");
      }
    }
    points.push_back(x);
  }
  return points;
}

std::vector<int> HeldOutPoints(const FitData& data, const FitOptions& options);

// Every option that does not need a fit to judge, checked before any fitting is done.
void CheckFitOptions(const FitData& data, const FitOptions& options) {
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw ConfigError(SourceLocation{"--confidence", 0, 0}, "must lie in (0, 1)");
  }
  if (options.bootstrap < 0) throw ConfigError(SourceLocation{"--bootstrap", 0, 0}, "must be >= 0");
  if (options.threads < 0) throw ConfigError(SourceLocation{"--threads", 0, 0}, "must be >= 0");
  const SourceLocation holdout{"--holdout", 0, 0};
  if (options.law == Law::kLrOptimum && data.variables() != 2) {
    throw ConfigError(SourceLocation{"--x", 0, 0},
                      "the lr-optimum law takes two variables, the width and the learning rate "
                      "(--x width,learning_rate)");
  }
  if (options.HasHoldout() && (options.law == Law::kIsoflop || options.law == Law::kLrOptimum)) {
    throw ConfigError(holdout,
                      "the isoFLOP analysis predicts N_opt, not held-out losses; use "
                      "--holdout with loglinear, additive, compute or bnsl");
  }
  if ((options.holdout > 0) + !options.holdout_size.empty() + (options.holdout_budget_above > 0) >
      1) {
    throw ConfigError(holdout, "one held-out check at a time (largest, size: or budget:)");
  }
  if (options.holdout < 0 || options.holdout >= std::max(1, data.size())) {
    throw ConfigError(holdout, "cannot hold out " + std::to_string(options.holdout) + " of " +
                                   std::to_string(data.size()) + " points");
  }
  if (!options.holdout_size.empty() || options.holdout_budget_above > 0) {
    const bool by_size = !options.holdout_size.empty();
    if ((by_size ? data.sizes.size() : data.samples.size()) != data.y.size()) {
      throw ConfigError(holdout, options.HoldoutText() +
                                     " needs each point's size and budget (config/size, "
                                     "config/samples): give a results folder or results.h5");
    }
    const int held = static_cast<int>(HeldOutPoints(data, options).size());
    if (held == 0) {
      std::string known;
      if (by_size) {
        for (const std::string& size : data.sizes) {
          if (known.find("'" + size + "'") == std::string::npos) {
            known += (known.empty() ? "" : ", ") + ("'" + size + "'");
          }
        }
      }
      throw ConfigError(holdout, options.HoldoutText() + " leaves out no point" +
                                     (by_size ? " (sizes: " + known + ")" : ""));
    }
    if (held == data.size()) {
      throw ConfigError(holdout, options.HoldoutText() +
                                     " leaves out every point; nothing is "
                                     "left to fit");
    }
  }
}

// The report of one fit: parameters, derived quantities, predictions (without intervals).
FitReport ReportOf(const FitData& data, const FitOptions& options, const Fitted& fit,
                   const std::vector<std::vector<double>>& predict_x) {
  FitReport report;
  report.law = options.law;
  report.confidence = options.confidence;
  report.formula = fit.formula;
  report.source = data.source;
  report.y_name = options.law == Law::kIsoflop     ? "N_opt"
                  : options.law == Law::kLrOptimum ? "lr*"
                                                   : data.y_name;
  report.x_names = fit.eval_names;
  report.points = data.size();
  report.fitted_points = fit.fitted_points;
  report.objective = fit.objective;
  report.r2 = fit.r2;
  report.frontier = fit.frontier;
  report.isoflop_budgets = fit.budgets;
  report.notes = fit.notes;
  report.turns = fit.turns;
  for (size_t j = 0; j < fit.params.size(); ++j) {
    report.parameters.push_back({fit.names[j], fit.params[j]});
  }
  for (size_t j = 0; j < fit.derived.size(); ++j) {
    report.derived.push_back({fit.derived_names[j], fit.derived[j]});
  }
  for (size_t i = 0; i < predict_x.size(); ++i) {
    FitPrediction p;
    p.at = options.predict[i];
    p.value = fit.eval(fit.params, predict_x[i]);
    report.predictions.push_back(p);
  }
  const Evaluator eval = fit.eval;
  const std::vector<double> params = fit.params;
  report.evaluate = [eval, params](const std::vector<double>& x) { return eval(params, x); };
  report.band = [](const std::vector<double>&) { return std::make_pair(kNaN, kNaN); };
  return report;
}

// Percentile intervals from `options.bootstrap` resamples, each fitted from the full fit's
// solution; the band of the law's mean from the resamples' laws.
void AddBootstrapIntervals(const FitData& data, const FitOptions& options, const Fitted& fit,
                           const std::vector<std::vector<double>>& predict_x, FitReport* report) {
  const size_t n_derived = fit.derived.size();
  auto draws = std::make_shared<std::vector<std::vector<double>>>();
  auto draws_mutex = std::make_shared<std::mutex>();
  const std::vector<double> warm = fit.warm_start;
  const BootstrapStatistic statistic = [&](const FitData& resample) {
    const Fitted r = FitOnce(resample, options, warm.empty() ? nullptr : &warm);
    if (r.derived.size() != n_derived) {
      throw ConfigError(SourceLocation{}, "derived quantities undefined in a resample");
    }
    std::vector<double> s = r.params;
    s.insert(s.end(), r.derived.begin(), r.derived.end());
    for (const auto& x : predict_x) s.push_back(r.eval(r.params, x));
    if (std::all_of(s.begin(), s.end(), [](double v) { return std::isfinite(v); })) {
      std::lock_guard<std::mutex> lock(*draws_mutex);
      draws->push_back(r.params);
    }
    return s;
  };
  BootstrapOptions bootstrap;
  bootstrap.resamples = options.bootstrap;
  bootstrap.seed = options.seed;
  bootstrap.confidence = options.confidence;
  bootstrap.threads = options.threads;
  const BootstrapResult result = Bootstrap(data, statistic, bootstrap);
  report->interval_kind = "bootstrap";
  report->bootstrap_resamples = result.resamples;
  report->bootstrap_failed = result.failed;
  size_t s = 0;
  for (auto& v : report->parameters) v.low = result.low[s], v.high = result.high[s], ++s;
  for (auto& v : report->derived) v.low = result.low[s], v.high = result.high[s], ++s;
  for (auto& p : report->predictions) p.ci_low = result.low[s], p.ci_high = result.high[s], ++s;
  const double tail = 0.5 * (1.0 - options.confidence);
  const Evaluator eval = fit.eval;
  report->band = [eval, draws, tail](const std::vector<double>& x) {
    std::vector<double> values;
    for (const auto& d : *draws) values.push_back(eval(d, x));
    if (values.empty()) return std::make_pair(kNaN, kNaN);
    return std::make_pair(Percentile(values, tail), Percentile(values, 1.0 - tail));
  };
}

// Student-t intervals of an OLS fit (the log-linear law, the compute law without E).
void AddTIntervals(const Fitted& fit, Law law, const std::vector<std::vector<double>>& predict_x,
                   FitReport* report) {
  report->interval_kind = "t";
  const LogLinearFit ols = fit.ols;
  const bool compute_law = law == Law::kCompute;
  for (size_t j = 0; j < report->parameters.size(); ++j) {
    FitValue& v = report->parameters[j];
    v.se = ols.se(j);
    v.p = ols.p(j);
    // The compute law reports a = 10^b0: its interval is 10^ of b0's.
    v.low = compute_law && j == 0 ? std::pow(10.0, ols.ci_low(j)) : ols.ci_low(j);
    v.high = compute_law && j == 0 ? std::pow(10.0, ols.ci_high(j)) : ols.ci_high(j);
    if (compute_law && j == 0) v.se = kNaN;  // se is of log10 a, not a
  }
  for (size_t i = 0; i < report->predictions.size(); ++i) {
    const LogLinearPrediction p = PredictLogLinear(ols, predict_x[i]);
    report->predictions[i].ci_low = p.ci_low;
    report->predictions[i].ci_high = p.ci_high;
    report->predictions[i].pi_low = p.pi_low;
    report->predictions[i].pi_high = p.pi_high;
  }
  report->band = [ols](const std::vector<double>& x) {
    const LogLinearPrediction p = PredictLogLinear(ols, x);
    return std::make_pair(p.ci_low, p.ci_high);
  };
}

// The points a held-out check leaves out (FitOptions::holdout*), in data order.
std::vector<int> HeldOutPoints(const FitData& data, const FitOptions& options) {
  std::vector<int> held;
  if (options.holdout > 0) {
    std::vector<double> rank(data.size(), 1.0);
    for (int i = 0; i < data.size(); ++i) {
      if (!data.compute.empty()) {
        rank[i] = data.compute[i];
      } else {
        for (const auto& column : data.x) rank[i] *= column[i];
      }
    }
    std::vector<int> order(data.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
    held.assign(order.end() - options.holdout, order.end());
    std::sort(held.begin(), held.end());
    return held;
  }
  for (int i = 0; i < data.size(); ++i) {
    if (!options.holdout_size.empty() ? data.sizes[i] == options.holdout_size
                                      : data.samples[i] > options.holdout_budget_above) {
      held.push_back(i);
    }
  }
  return held;
}

// Fits without the held-out points and reports the error of predicting them; with a bootstrap,
// a prediction interval for each (resampled fits × the fit's log residuals).
void AddHoldout(const FitData& data, const FitOptions& options, FitReport* report) {
  const std::vector<int> held = HeldOutPoints(data, options);
  std::vector<bool> is_held(data.size(), false);
  for (const int i : held) is_held[i] = true;
  std::vector<int> train;
  for (int i = 0; i < data.size(); ++i) {
    if (!is_held[i]) train.push_back(i);
  }
  const FitData fitted = data.Subset(train);
  const Fitted without = FitOnce(fitted, options, nullptr);
  report->holdout_kind = options.HoldoutText();
  double sum = 0;
  for (const int i : held) {
    FitHoldout h;
    h.label = data.Label(i);
    h.x = PointX(data, without.eval_names, i);
    h.actual = data.y[i];
    h.predicted = without.eval(without.params, h.x);
    h.relative_error = (h.predicted - h.actual) / h.actual;
    if (!data.seed_floor.empty()) h.seed_floor = data.seed_floor[i];
    if (!data.seeds.empty()) h.seeds = data.seeds[i];
    sum += std::fabs(h.relative_error);
    report->holdout.push_back(h);
  }
  report->holdout_mean_abs_error = sum / static_cast<double>(held.size());
  if (options.law == Law::kBnsl) {
    // Where the fit without them puts the held-out points' breaks and turning points.
    const FitData named = WithBnslNames(data.Subset(held));
    const FitData fitted_named = WithBnslNames(fitted);
    const auto& d = fitted_named.x[fitted_named.VariableIndex("D")];
    for (const FitTurn& turn : BnslTurns(named, BnslOf(named.x_names, without.params),
                                         *std::min_element(d.begin(), d.end()),
                                         *std::max_element(d.begin(), d.end()), true)) {
      report->turns.push_back(turn);
      report->notes.push_back(TurnText(turn));
    }
  }
  if (options.bootstrap <= 0 || options.law == Law::kIsoflop) return;

  // Prediction intervals: the law refitted on resamples of the fitted points (cells, for seed
  // means), each resample's prediction times exp(r) for every log residual r of the fit. Every
  // (resample, residual) pair enters, so the percentiles do not depend on the order in which
  // threads finish.
  std::vector<double> residuals;
  for (int i = 0; i < fitted.size(); ++i) {
    const double p = without.eval(without.params, PointX(fitted, without.eval_names, i));
    residuals.push_back(std::log(fitted.y[i]) - std::log(p));
  }
  std::vector<std::vector<double>> held_x;
  for (const FitHoldout& h : report->holdout) held_x.push_back(h.x);
  auto predictions = std::make_shared<std::vector<std::vector<double>>>();
  auto mutex = std::make_shared<std::mutex>();
  const std::vector<double> warm = without.warm_start;
  const BootstrapStatistic statistic = [&](const FitData& resample) {
    const Fitted r = FitOnce(resample, options, warm.empty() ? nullptr : &warm);
    std::vector<double> s;
    for (const auto& x : held_x) s.push_back(r.eval(r.params, x));
    if (std::all_of(s.begin(), s.end(), [](double v) { return std::isfinite(v) && v > 0; })) {
      std::lock_guard<std::mutex> lock(*mutex);
      predictions->push_back(s);
    }
    return s;
  };
  BootstrapOptions bootstrap;
  bootstrap.resamples = options.bootstrap;
  bootstrap.seed = options.seed;
  bootstrap.confidence = options.confidence;
  bootstrap.threads = options.threads;
  Bootstrap(fitted, statistic, bootstrap);
  const double tail = 0.5 * (1.0 - options.confidence);
  int inside = 0;
  double half_widths = 0;
  for (size_t k = 0; k < report->holdout.size(); ++k) {
    std::vector<double> values;
    values.reserve(predictions->size() * residuals.size());
    for (const auto& draw : *predictions) {
      for (const double r : residuals) values.push_back(draw[k] * std::exp(r));
    }
    FitHoldout& h = report->holdout[k];
    if (values.empty()) continue;
    h.pi_low = Percentile(values, tail);
    h.pi_high = Percentile(values, 1.0 - tail);
    inside += h.actual >= h.pi_low && h.actual <= h.pi_high;
    half_widths += 0.5 * (h.pi_high - h.pi_low) / h.predicted;
  }
  report->holdout_inside = inside;
  report->holdout_mean_half_width = half_widths / static_cast<double>(report->holdout.size());
}

}  // namespace

FitReport RunFit(const FitData& all, const FitOptions& given) {
  CheckFitOptions(all, given);
  FitOptions options = given;
  // A learning-rate sweep with branched budgets: the optimum at the largest budget.
  FitData largest_budget;
  std::string budget_note;
  if (options.law == Law::kLrOptimum && all.samples.size() == all.y.size() && all.size() > 0) {
    const double top = *std::max_element(all.samples.begin(), all.samples.end());
    std::vector<int> keep;
    for (int i = 0; i < all.size(); ++i) {
      if (all.samples[i] == top) keep.push_back(i);
    }
    if (static_cast<int>(keep.size()) < all.size()) {
      largest_budget = all.Subset(keep);
      budget_note = "the optimum at the largest budget, " + Short(top) +
                    " samples: " + std::to_string(keep.size()) + " of " +
                    std::to_string(all.size()) + " runs (--where samples=D for another)";
    }
  }
  const FitData& data = budget_note.empty() ? all : largest_budget;
  if (options.law == Law::kBnsl && options.bnsl_anchors.empty()) {
    // The break is reported at the smallest and the largest N, at the median rate.
    const FitData named = WithBnslNames(data);
    const int jn = named.VariableIndex("N");
    int jr = named.VariableIndex("learning_rate");
    if (jr < 0) jr = named.VariableIndex("lr");
    if (jn >= 0 && data.size() > 0) {
      std::vector<double> rates = jr >= 0 ? named.x[jr] : std::vector<double>{1.0};
      std::nth_element(rates.begin(), rates.begin() + rates.size() / 2, rates.end());
      const double lr = rates[rates.size() / 2];
      const auto [lo, hi] = std::minmax_element(named.x[jn].begin(), named.x[jn].end());
      options.bnsl_anchors = {{*lo, lr}, {*hi, lr}};
    }
  }
  const std::vector<std::vector<double>> predict_x =
      PredictionPoints(EvaluatorNames(data, options.law), options);
  Fitted fit = FitOnce(data, options, nullptr);
  if (options.law == Law::kBnsl && !std::all_of(fit.derived.begin(), fit.derived.end(),
                                                [](double v) { return std::isfinite(v); })) {
    // A degenerate break (k or g at the edge of what doubles hold): no D_break to report.
    fit.derived.clear();
    fit.derived_names.clear();
    options.bnsl_anchors = {{0, 0}};  // marks "none" for the resamples too
    fit.notes.push_back("the break's position is not finite (a degenerate fit: k " +
                        Short(fit.params[7]) + ", g " + Short(fit.params[8]) +
                        "); D_break is not reported");
  }
  FitReport report = ReportOf(data, options, fit, predict_x);
  if (options.bootstrap > 0) {
    AddBootstrapIntervals(data, options, fit, predict_x, &report);
  } else if (fit.has_ols && fit.ols.dof > 0) {
    AddTIntervals(fit, options.law, predict_x, &report);
  }
  if (options.HasHoldout()) AddHoldout(data, options, &report);
  if (!budget_note.empty()) report.notes.insert(report.notes.begin(), budget_note);
  for (const auto& p : report.parameters) {
    if (!std::isfinite(p.value)) {
      throw ConfigError(
          SourceLocation{data.source, 0, 0},
          "the fit gave a non-finite " + p.name + "; the data do not determine this law");
    }
  }
  return report;
}

namespace {

std::string Num(double v) {
  if (!std::isfinite(v)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  return buffer;
}

// A number for JSON: NaN and infinities (no JSON value) become null.
nlohmann::ordered_json JsonNumber(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

// "95% t" for a 0.95 Student-t interval, "boot" for bootstrap percentiles, "ci" for none.
std::string IntervalLabel(const FitReport& r) {
  if (r.interval_kind == "bootstrap") return "boot";
  if (r.interval_kind != "t") return "ci";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g%% t", 100 * r.confidence);
  return buffer;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string ValuesText(const std::vector<FitValue>& values, const std::string& interval) {
  std::ostringstream out;
  out << "  " << Pad("parameter", 18) << Pad("value", 14) << Pad("std. error", 14)
      << Pad(interval + " low", 16) << Pad(interval + " high", 16) << "p-value\n";
  for (const auto& v : values) {
    out << "  " << Pad(v.name, 18) << Pad(Num(v.value), 14) << Pad(Num(v.se), 14)
        << Pad(Num(v.low), 16) << Pad(Num(v.high), 16) << Num(v.p) << "\n";
  }
  return out.str();
}

// "+3.21%" for 0.0321 (signed: an error), "3.21%" unsigned; "-" for NaN.
std::string Percent(double v, bool sign = true) {
  if (!std::isfinite(v)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), sign ? "%+.2f%%" : "%.2f%%", 100 * v);
  return buffer;
}

// How the held-out points were chosen, in words.
std::string HoldoutTitle(const std::string& kind) {
  if (kind.rfind("size:", 0) == 0) return "size " + kind.substr(5);
  if (kind.rfind("budget:>", 0) == 0) return "budgets above " + kind.substr(8);
  return "largest compute";
}

std::string At(const std::map<std::string, double>& at) {
  std::string s;
  for (const auto& [name, value] : at) s += (s.empty() ? "" : ",") + name + "=" + Num(value);
  return s;
}

nlohmann::ordered_json ValuesJson(const std::vector<FitValue>& values) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& v : values) {
    out.push_back({{"name", v.name},
                   {"value", JsonNumber(v.value)},
                   {"se", JsonNumber(v.se)},
                   {"low", JsonNumber(v.low)},
                   {"high", JsonNumber(v.high)},
                   {"p", JsonNumber(v.p)}});
  }
  return out;
}

}  // namespace

std::string FitReportText(const FitReport& r) {
  std::ostringstream out;
  out << "law " << ToString(r.law) << ": " << r.formula << "\n";
  out << r.fitted_points << " of " << r.points << " points from " << r.source << "\n";
  const std::string interval = IntervalLabel(r);
  out << ValuesText(r.parameters, interval);
  if (!r.derived.empty()) out << ValuesText(r.derived, interval);
  out << "objective " << Num(r.objective);
  if (std::isfinite(r.r2)) out << ", R^2 (log space) " << Num(r.r2);
  if (r.interval_kind == "bootstrap") {
    out << ", bootstrap " << r.bootstrap_resamples << " resamples (" << r.bootstrap_failed
        << " failed)";
  }
  out << "\n";
  if (!r.predictions.empty()) {
    out << "predictions of " << r.y_name << ":\n  " << Pad("at", 28) << Pad("value", 14)
        << Pad("ci low", 14) << Pad("ci high", 14) << Pad("pi low", 14) << "pi high\n";
    for (const auto& p : r.predictions) {
      out << "  " << Pad(At(p.at), 28) << Pad(Num(p.value), 14) << Pad(Num(p.ci_low), 14)
          << Pad(Num(p.ci_high), 14) << Pad(Num(p.pi_low), 14) << Num(p.pi_high) << "\n";
    }
  }
  if (!r.holdout.empty()) {
    const bool floors = std::any_of(r.holdout.begin(), r.holdout.end(),
                                    [](const FitHoldout& h) { return h.seeds > 0; });
    const bool intervals = r.holdout_inside >= 0;
    out << "held out (" << HoldoutTitle(r.holdout_kind) << "), fitted without them:\n  "
        << Pad("point", 28) << Pad("actual", 14) << Pad("predicted", 14) << Pad("rel. error", 14);
    if (floors) out << Pad("seed floor", 14);
    if (intervals) out << Pad("pi low", 14) << Pad("pi high", 14);
    out << "\n";
    for (const auto& h : r.holdout) {
      out << "  " << Pad(h.label, 28) << Pad(Num(h.actual), 14) << Pad(Num(h.predicted), 14)
          << Pad(Percent(h.relative_error), 14);
      if (floors) out << Pad(Percent(h.seed_floor, false), 14);
      if (intervals) out << Pad(Num(h.pi_low), 14) << Pad(Num(h.pi_high), 14);
      out << "\n";
    }
    out << "  mean |relative error| " << Num(r.holdout_mean_abs_error) << " ("
        << Percent(r.holdout_mean_abs_error, false) << ")";
    if (intervals) {
      out << "; " << r.holdout_inside << " of " << r.holdout.size() << " inside their "
          << Num(100 * r.confidence) << "% prediction interval, mean half-width "
          << Percent(r.holdout_mean_half_width, false);
    }
    out << "\n";
  }
  for (const auto& note : r.notes) out << "note: " << note << "\n";
  return out.str();
}

std::string FitReportJson(const FitReport& r) {
  nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
  for (const auto& p : r.predictions) {
    nlohmann::ordered_json at = nlohmann::ordered_json::object();
    for (const auto& [name, value] : p.at) at[name] = JsonNumber(value);
    predictions.push_back({{"at", at},
                           {"value", JsonNumber(p.value)},
                           {"ci_low", JsonNumber(p.ci_low)},
                           {"ci_high", JsonNumber(p.ci_high)},
                           {"pi_low", JsonNumber(p.pi_low)},
                           {"pi_high", JsonNumber(p.pi_high)}});
  }
  nlohmann::ordered_json holdout = nlohmann::ordered_json::array();
  for (const auto& h : r.holdout) {
    holdout.push_back({{"point", h.label},
                       {"actual", JsonNumber(h.actual)},
                       {"predicted", JsonNumber(h.predicted)},
                       {"relative_error", JsonNumber(h.relative_error)},
                       {"seeds", h.seeds},
                       {"seed_floor", JsonNumber(h.seed_floor)},
                       {"pi_low", JsonNumber(h.pi_low)},
                       {"pi_high", JsonNumber(h.pi_high)}});
  }
  nlohmann::ordered_json turns = nlohmann::ordered_json::array();
  for (const auto& t : r.turns) {
    turns.push_back({{"N", JsonNumber(t.n)},
                     {"learning_rate", JsonNumber(t.learning_rate)},
                     {"break_D", JsonNumber(t.break_d)},
                     {"turning_D", JsonNumber(t.turning_d)},
                     {"outside", t.outside},
                     {"held_out", t.held_out}});
  }
  const nlohmann::ordered_json json = {
      {"law", ToString(r.law)},
      {"formula", r.formula},
      {"source", r.source},
      {"y", r.y_name},
      {"x", r.x_names},
      {"points", r.points},
      {"fitted_points", r.fitted_points},
      {"interval", r.interval_kind},
      {"confidence", r.confidence},
      {"objective", JsonNumber(r.objective)},
      {"r2", JsonNumber(r.r2)},
      {"bootstrap_resamples", r.bootstrap_resamples},
      {"bootstrap_failed", r.bootstrap_failed},
      {"parameters", ValuesJson(r.parameters)},
      {"derived", ValuesJson(r.derived)},
      {"predictions", predictions},
      {"holdout", holdout},
      {"turns", turns},
      {"holdout_kind", r.holdout_kind},
      {"holdout_mean_abs_error", JsonNumber(r.holdout_mean_abs_error)},
      {"holdout_inside", r.holdout_inside},
      {"holdout_mean_half_width", JsonNumber(r.holdout_mean_half_width)},
      {"notes", r.notes}};
  return json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace florenz
