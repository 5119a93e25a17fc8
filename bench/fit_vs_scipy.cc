// bench/fit_vs_scipy: the full 4,500-start Huber fit of L = E + A/N^α + B/D^β on a 240-point
// synthetic dataset (Chinchilla's law, 2% multiplicative noise, fixed seed), in florenz
// (vectorised L-BFGS search + Ceres polish, threads) and in bench/baselines/scipy_fit.py (SciPy
// L-BFGS-B, same starts and objective) on the same CSV, side by side; then a 1,000-resample
// bootstrap. Figures: docs/performance.md.
//
// Usage: bench_fit_vs_scipy [--threads T] [--resamples K] [--no-scipy]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "fitting/bootstrap.h"
#include "fitting/huber_fit.h"
#include "fitting/huber_objective.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// 12 sizes × 20 sample counts, log-spaced: N ∈ [1e7, 1e10], D ∈ [1e8, 1e11].
florenz::FitData Dataset() {
  std::mt19937_64 rng(20240601);
  std::normal_distribution<double> noise(0.0, 0.02);
  florenz::FitData data;
  data.source = "synthetic";
  data.x_names = {"N", "D"};
  data.y_name = "loss";
  data.x.resize(2);
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 20; ++j) {
      const double n = 1e7 * std::pow(1e3, i / 11.0), d = 1e8 * std::pow(1e3, j / 19.0);
      data.x[0].push_back(n);
      data.x[1].push_back(d);
      data.y.push_back((1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28)) *
                       (1.0 + noise(rng)));
    }
  }
  return data;
}

// The number `key` of the baseline's JSON object (NaN when absent).
double JsonNumber(const nlohmann::json& json, const std::string& key) {
  const auto it = json.find(key);
  return it != json.end() && it->is_number() ? it->get<double>() : NAN;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  int resamples = 1000;
  bool scipy = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (arg == "--resamples" && i + 1 < argc)
      resamples = std::atoi(argv[++i]);
    else if (arg == "--no-scipy")
      scipy = false;
    else {
      std::cerr << "usage: bench_fit_vs_scipy [--threads T] [--resamples K] [--no-scipy]\n";
      return 2;
    }
  }
  const florenz::FitData data = Dataset();
  const auto csv = std::filesystem::temp_directory_path() / "florenz_fit_vs_scipy.csv";
  {
    std::ofstream out(csv);
    out.precision(17);
    out << "N,D,loss\n";
    for (int i = 0; i < data.size(); ++i) {
      out << data.x[0][i] << "," << data.x[1][i] << "," << data.y[i] << "\n";
    }
  }
  std::printf("dataset: %d points (12 N x 20 D, Chinchilla law, 2%% noise) -> %s\n", data.size(),
              csv.c_str());

  florenz::HuberFitOptions options;  // Hoffmann's 4,500 starts, delta 1e-3, summed
  options.threads = threads;
  auto start = std::chrono::steady_clock::now();
  const florenz::AdditiveFit fit = florenz::FitAdditive(data, options);
  const double florenz_seconds = Seconds(start);
  std::printf(
      "florenz  (L-BFGS + Ceres LM polish, %d threads): %d starts, %d converged, objective %.12e, "
      "%.3f s\n",
      threads, fit.starts, fit.converged_starts, fit.objective, florenz_seconds);
  std::printf("         E=%.6g A=%.6g alpha=%.6g B=%.6g beta=%.6g (objective loop: %s)\n",
              fit.irreducible, fit.coefficient[0], fit.exponent[0], fit.coefficient[1],
              fit.exponent[1], florenz::SummedHuberObjective::Isa());

  if (scipy) {
    const std::string command =
        "/usr/bin/python3 " FLORENZ_SOURCE_DIR "/bench/baselines/scipy_fit.py " + csv.string();
    FILE* pipe = popen(command.c_str(), "r");
    std::string json;
    char buffer[4096];
    size_t n;
    while (pipe != nullptr && (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
      json.append(buffer, n);
    const int status = pipe != nullptr ? pclose(pipe) : -1;
    const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (status != 0 || !parsed.is_object()) {
      std::printf("scipy    : failed (status %d; needs Debian's python3-scipy)\n", status);
    } else {
      const double objective = JsonNumber(parsed, "objective");
      const double seconds = JsonNumber(parsed, "seconds");
      std::printf("scipy    (L-BFGS-B, 1 thread)  : %.0f starts, objective %.12e, %.3f s\n",
                  JsonNumber(parsed, "starts"), objective, seconds);
      std::printf("         E=%.6g A=%.6g alpha=%.6g B=%.6g beta=%.6g\n", JsonNumber(parsed, "E"),
                  JsonNumber(parsed, "A"), JsonNumber(parsed, "alpha"), JsonNumber(parsed, "B"),
                  JsonNumber(parsed, "beta"));
      std::printf(
          "florenz objective / scipy objective = %.12f (|ratio - 1| = %.1e, target <= 1e-9); "
          "speed-up %.1fx (target >= 50x)\n",
          fit.objective / objective, std::fabs(fit.objective / objective - 1.0),
          seconds / florenz_seconds);
    }
  }

  // Bootstrap: each resample starts from the full-data solution (one start per resample).
  florenz::HuberFitOptions resample_options;
  resample_options.threads = 1;
  resample_options.starts = {fit.LogParameters()};
  resample_options.check_input = false;
  florenz::BootstrapOptions bootstrap;
  bootstrap.resamples = resamples;
  bootstrap.seed = 1;
  bootstrap.threads = threads;
  start = std::chrono::steady_clock::now();
  const florenz::BootstrapResult result = florenz::Bootstrap(
      data,
      [&](const florenz::FitData& resample) {
        return florenz::FitAdditive(resample, resample_options).Parameters();
      },
      bootstrap);
  const double bootstrap_seconds = Seconds(start);
  std::printf("bootstrap: %d resamples (%d failed), %d threads, %.3f s (target < 30 s)\n",
              result.resamples, result.failed, threads, bootstrap_seconds);
  const char* names[] = {"E", "A", "alpha", "B", "beta"};
  for (int j = 0; j < 5; ++j) {
    std::printf("  %-6s 95%% [%.6g, %.6g]\n", names[j], result.low[j], result.high[j]);
  }
  return 0;
}
