// A synthetic florenz results folder for the report and fit tests: run files written by the
// store's own writer, with the config attributes and final metrics the trainer writes (the
// paper's aggregates, BLEU with and without the decoder prefix, disambiguation) following known
// laws with a small deterministic wobble, then collected. No model is trained: it takes ~0.1 s.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "experiments/collect.h"
#include "experiments/results_dir.h"
#include "experiments/run_file_writer.h"

namespace florenz::testing {

struct SyntheticStudy {
  // 4 sizes × 4 budgets by default; N = 1e6 · 4^i, D = 5e4 · 2^j.
  int sizes = 4, budgets = 4;
  // Which optional metrics the runs record (a grid that did not evaluate BLEU or
  // disambiguation records neither).
  bool bleu = true, disambiguation = true;
  // Relative wobble of the cross-entropies (deterministic), so that fits have residuals.
  double wobble = 0.01;
  // Seeds per (size, budget): each seed is a run of its own, with its own wobble and its
  // BLEU with the prefix 1 higher per seed.
  int seeds = 1;
  // Whether the runs also record the aggregates after the decoder prefix
  // (<aggregate>_excl_prefix = 0.8 × the aggregate over every token), as florenz's trainer does.
  bool excl_prefix = false;
  // A learning-rate axis: one run per rate in every (size, budget, seed) cell, its
  // cross-entropies × Penalty (1 at the size's best rate, BestRate), recorded as the trainer
  // records an axis (config/learning_rate, config/axes, config/seed). Empty: no axis.
  std::vector<double> learning_rates;
  static double BestRate(int i) { return 4e-3 / std::pow(2.0, i); }
  static double Penalty(double rate, int i) {
    return 1.0 + 0.1 * std::abs(std::log2(rate / BestRate(i)));
  }

  // The paper's laws: CE = k · N^bn · D^bd per aggregate.
  static double CrossEntropy(const std::string& aggregate, double n, double d) {
    if (aggregate == "unseen_caption") return 40.0 * std::pow(n, -0.16) * std::pow(d, -0.04);
    if (aggregate == "seen_translate") return 60.0 * std::pow(n, -0.15) * std::pow(d, -0.19);
    return 50.0 * std::pow(n, -0.13) * std::pow(d, -0.15);  // seen_caption
  }
  static double N(int i) { return 1e6 * std::pow(4.0, i); }
  static double D(int j) { return 5e4 * std::pow(2.0, j); }
  static std::string RunId(int i, int j, int seed = 0) {
    return "s" + std::to_string(i) + "-d" + std::to_string(j) + "-s" + std::to_string(seed) +
           "-0000000" + std::to_string(i * 10 + j);
  }
};

// Writes out/runs/*.h5 (every run completed, plus one failed run) and out/results.h5 via
// CollectResults. Eval series: /eval/caption_es/{cross_entropy,bleu} with 3 rows, the last one
// equal to the final cross_entropy_caption_es (bleu NaN before the last row).
inline void WriteSyntheticStudy(const std::filesystem::path& out, const SyntheticStudy& study) {
  std::filesystem::remove_all(out);
  ResultsDir dir(out);
  dir.Create();
  RunFileLayout layout;
  layout.eval_pairs = {"caption_es", "translate_es"};
  layout.eval_metrics = {"cross_entropy", "bleu"};
  layout.final_metrics = {"unseen_caption", "seen_translate", "seen_caption",
                          "cross_entropy_caption_es"};
  if (study.excl_prefix) {
    for (const char* m :
         {"unseen_caption_excl_prefix", "seen_translate_excl_prefix", "seen_caption_excl_prefix"}) {
      layout.final_metrics.push_back(m);
    }
  }
  if (study.bleu) {
    for (const char* m :
         {"unseen_caption_bleu", "unseen_caption_bleu_prefix", "unseen_caption_language_accuracy",
          "unseen_caption_language_accuracy_prefix"}) {
      layout.final_metrics.push_back(m);
    }
  }
  if (study.disambiguation) {
    layout.final_metrics.push_back("disambiguation");
    layout.final_metrics.push_back("disambiguation_blank");
  }
  const char* names[] = {"xs", "s", "m", "l", "xl", "xxl"};
  for (int i = 0; i < study.sizes; ++i) {
    for (int j = 0; j < study.budgets; ++j) {
      for (int seed = 0; seed < study.seeds; ++seed) {
        const std::vector<double> rates =
            study.learning_rates.empty() ? std::vector<double>{0.0} : study.learning_rates;
        for (size_t k = 0; k < rates.size(); ++k) {
          const double n = SyntheticStudy::N(i), d = SyntheticStudy::D(j);
          const double penalty = rates[k] > 0 ? SyntheticStudy::Penalty(rates[k], i) : 1.0;
          RunConfig config;
          config.run_id = SyntheticStudy::RunId(i, j, seed);
          if (rates[k] > 0) config.run_id += "-lr" + std::to_string(k);
          // The coverage is what `--smooth` reads the kind of each pair from.
          config.spec_yaml =
              "experiment: {name: synthetic}\n"
              "data: {coverage: {caption: {es: eval}, translate: {es: train}}}\n";
          config.numbers = {{"non_embedding_params", n},
                            {"params", 1.2 * n},
                            {"samples", d},
                            {"flops_per_sample", 2 * 1.2 * n}};
          config.strings = {{"size", names[i % 6]}, {"experiment", "synthetic"}};
          if (rates[k] > 0) {
            config.numbers.push_back({"learning_rate", rates[k]});
            config.numbers.push_back({"seed", static_cast<double>(seed)});
            config.strings.push_back({"axes", "learning_rate"});
          }
          RunFileWriter writer = RunFileWriter::Create(dir, config, layout);
          const double wobble = 1.0 + study.wobble * std::sin(7.0 * i + 3.0 * j + 5.0 * seed + 1.0);
          std::map<std::string, double> finals;
          for (const char* aggregate : {"unseen_caption", "seen_translate", "seen_caption"}) {
            finals[aggregate] = SyntheticStudy::CrossEntropy(aggregate, n, d) * wobble * penalty;
          }
          finals["cross_entropy_caption_es"] = finals["unseen_caption"];
          if (study.excl_prefix) {
            for (const char* aggregate : {"unseen_caption", "seen_translate", "seen_caption"}) {
              finals[std::string(aggregate) + "_excl_prefix"] = 0.8 * finals[aggregate];
            }
          }
          const double bleu = 2.0 + 4.0 * i + 0.5 * j + seed;
          for (int r = 0; r < 3; ++r) {
            const bool last = r == 2;
            writer.AppendEval(
                "caption_es",
                {100 * (r + 1),
                 static_cast<int64_t>(d * (r + 1) / 3),
                 {finals["unseen_caption"] * (last ? 1.0 : 1.5 - 0.2 * r), last ? bleu : NAN}});
            writer.AppendEval("translate_es", {100 * (r + 1),
                                               static_cast<int64_t>(d * (r + 1) / 3),
                                               {finals["seen_translate"], NAN}});
          }
          if (study.bleu) {
            finals["unseen_caption_bleu"] = 0.3 + 0.05 * j;
            finals["unseen_caption_bleu_prefix"] = bleu;
            finals["unseen_caption_language_accuracy"] = 0.0;
            finals["unseen_caption_language_accuracy_prefix"] = std::min(1.0, 0.4 + 0.2 * i);
          }
          if (study.disambiguation) {
            finals["disambiguation"] = std::min(0.98, 0.55 + 0.1 * i + 0.02 * j);
            finals["disambiguation_blank"] = 0.5 + 0.01 * (j % 2);
          }
          writer.Finish(RunStatus::kCompleted, "", finals);
        }
      }
    }
  }
  RunConfig failed;
  failed.run_id = "zz-failed-s0-00000099";
  failed.spec_yaml = "experiment: {name: synthetic}\n";
  failed.numbers = {{"non_embedding_params", 1e6}, {"samples", 5e4}, {"flops_per_sample", 2.4e6}};
  failed.strings = {{"size", "xs"}, {"experiment", "synthetic"}};
  RunFileWriter writer = RunFileWriter::Create(dir, failed, layout);
  writer.Finish(RunStatus::kFailed, "diverged <at> step 3 & \"then\" stopped", {});
  CollectResults(out);
}

}  // namespace florenz::testing
