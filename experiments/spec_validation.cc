// Validation of a grid spec (see spec_validation.h). Reads top to bottom in the order of
// the grid file's sections.
#include "experiments/spec_validation.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "experiments/did_you_mean.h"
#include "experiments/learning_rate_rule.h"
#include "experiments/model_cost.h"

namespace florenz {
namespace {

class Checker {
 public:
  Checker(const SpecLocations& where, Diagnostics* problems) : where_(where), problems_(problems) {}

  // Reports `message` at `member` (or at `fallback` when the member was not in the file).
  template <class T, class U>
  void Fail(const T& member, const U& fallback, const std::string& message) {
    problems_->Error(where_.OfOr(member, fallback), message);
  }
  template <class T>
  void Fail(const T& member, const std::string& message) {
    Fail(member, member, message);
  }
  template <class T, class U>
  void Require(bool ok, const T& member, const U& fallback, const std::string& message) {
    if (!ok) Fail(member, fallback, message);
  }
  template <class T>
  void Require(bool ok, const T& member, const std::string& message) {
    if (!ok) Fail(member, member, message);
  }
  // Reports at the first of the three that was given in the file.
  template <class T, class U, class W>
  void Require3(bool ok, const T& first, const U& second, const W& third,
                const std::string& message) {
    if (ok) return;
    const SourceLocation at = where_.Of(first);
    if (at.line > 0) {
      problems_->Error(at, message);
    } else {
      Fail(second, third, message);
    }
  }

 private:
  const SpecLocations& where_;
  Diagnostics* problems_;
};

std::string Num(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool IsLanguageCode(const std::string& name) {
  if (name.size() < 2 || name.size() > 8) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

void ValidateExperiment(const ExperimentSpec& spec, Checker& c) {
  const auto& e = spec.experiment;
  c.Require(IsSafeName(e.name), e.name, spec.experiment,
            "experiment.name: '" + e.name +
                "' must be 1-64 letters, digits, '.', '_' or '-' (it names files)");
  c.Require(!e.seeds.empty(), e.seeds, spec.experiment, "experiment.seeds: give at least one seed");
  std::set<int64_t> seen;
  for (const auto& seed : e.seeds) {
    c.Require(seed >= 0, seed, e.seeds, "experiment.seeds: seeds must be >= 0");
    c.Require(seen.insert(seed).second, seed, e.seeds,
              "experiment.seeds: seed " + std::to_string(seed) + " appears twice");
  }
}

void ValidateLanguages(const DataOptions& d, Checker& c) {
  c.Require(!d.languages.empty(), d.languages, d, "data.languages: give at least one language");
  std::set<std::string> names;
  for (const auto& l : d.languages) {
    c.Require(IsLanguageCode(l.name), l, d.languages,
              "data.languages: language name '" + l.name +
                  "' must be 2-8 lowercase letters (give `name:` or a `preset:`)");
    c.Require(names.insert(l.name).second, l, d.languages,
              "data.languages: language '" + l.name + "' is defined twice");
    c.Require(
        l.genders >= 0 && l.genders <= 3, l.genders, l,
        "data.languages." + l.name + ".genders: must be 0-3, got " + std::to_string(l.genders));
    c.Require(!(l.agreement && l.genders == 0 && l.number == NumberMarking::kNone), l.agreement, l,
              "data.languages." + l.name +
                  ".agreement: nothing to agree with (no genders and no number marking)");
  }
}

void ValidateCoverage(const DataOptions& d, Checker& c) {
  std::vector<std::string> declared;
  for (const auto& l : d.languages) declared.push_back(l.name);
  const bool has_english = std::find(declared.begin(), declared.end(), "en") != declared.end();

  std::set<std::string> covered, trained_pairs, all_pairs;
  c.Require(!d.coverage.empty(), d.coverage, d,
            "data.coverage: give the task x language matrix (which pairs are trained, which "
            "are evaluation-only)");
  for (const auto& [task, languages] : d.coverage) {
    for (const auto& [language, role] : languages) {
      const std::string pair = PairName(task, language);
      if (std::find(declared.begin(), declared.end(), language) == declared.end()) {
        c.Fail(role, languages,
               "data.coverage." + ToString(task) + ": unknown language '" + language + "'" +
                   DidYouMean(language, declared) + " (declare it in data.languages)");
        continue;
      }
      if (task == Task::kTranslate && language == "en") {
        c.Fail(role, languages,
               "data.coverage.translate: 'en' cannot be a target: translation is from English");
        continue;
      }
      if (task == Task::kTranslate) {
        c.Require(has_english, role, languages,
                  "data.coverage.translate: translation needs 'en' (the source language) in "
                  "data.languages");
      }
      covered.insert(language);
      all_pairs.insert(pair);
      if (role == PairRole::kTrain) trained_pairs.insert(pair);
    }
  }
  if (!d.coverage.empty()) {
    c.Require(!trained_pairs.empty(), d.coverage, d,
              "data.coverage: no pair is trained (mark at least one pair `train`)");
  }
  for (const auto& l : d.languages) {
    c.Require(covered.count(l.name) > 0, l, d.languages,
              "data.languages: language '" + l.name +
                  "' is neither trained nor evaluated in any task of data.coverage");
  }
  for (const auto& [pair, weight] : d.weights) {
    if (trained_pairs.count(pair) == 0) {
      std::vector<std::string> names(trained_pairs.begin(), trained_pairs.end());
      const std::string why =
          all_pairs.count(pair) > 0
              ? " is evaluation-only, so it has no training weight"
              : " is neither trained nor evaluated in data.coverage" + DidYouMean(pair, names);
      c.Fail(weight, d.weights, "data.weights: pair '" + pair + "'" + why);
      continue;
    }
    c.Require(weight > 0, weight, d.weights,
              "data.weights." + pair + ": must be > 0, got " + Num(weight));
  }
}

// The keys of a corpus of shards (data.source: shards); what the shards themselves hold is
// checked by workers/data/shards/corpus_check.h.
void ValidateShardsSource(const ExperimentSpec& spec, Checker& c) {
  const DataOptions& d = spec.data;
  c.Require(!d.train.empty(), d.train, d,
            "data.train: data.source shards needs the training shards' pattern, e.g. "
            "'corpus/train-{000000..000127}.tar'");
  c.Require(!d.eval.empty(), d.eval, d,
            "data.eval: data.source shards needs the evaluation shards' pattern");
  c.Require(!d.tokenizer.empty(), d.tokenizer, d,
            "data.tokenizer: data.source shards needs a SentencePiece model (`florenz data "
            "tokenizer`)");
  c.Require(d.image == ImageMode::kPixels || d.image == ImageMode::kFeatures, d.image, d,
            "data.image: a corpus of shards has `pixels` (JPEG/PNG) or `features` (.npy), not '" +
                ToString(d.image) + "'");
  if (d.image == ImageMode::kFeatures) {
    c.Require(d.feature_shape.size() == 2 && d.feature_shape[0] >= 1 && d.feature_shape[1] >= 1 &&
                  d.feature_shape[0] <= 4096 && d.feature_shape[1] <= 65536,
              d.feature_shape, d,
              "data.feature_shape: image features need their shape [tokens, dim] (1-4096 "
              "tokens, 1-65536 dims), as every sample's .npy has it");
  }
  // The corpus limits (docs/data.md, "Limits"): bounded, so that no sample can take gigabytes.
  c.Require(
      d.max_image_pixels >= 1024 && d.max_image_pixels <= (int64_t{1} << 32), d.max_image_pixels, d,
      "data.max_image_pixels: must be 1024-4294967296, got " + std::to_string(d.max_image_pixels));
  c.Require(d.max_text_bytes >= 256 && d.max_text_bytes <= (int64_t{64} << 20), d.max_text_bytes, d,
            "data.max_text_bytes: must be 256-67108864 (64 MiB), got " +
                std::to_string(d.max_text_bytes));
  // What needs florenz's synthetic ground truth has no meaning on a corpus.
  c.Require(d.ambiguous_words.empty(), d.ambiguous_words, d,
            "data.ambiguous_words: homonym disambiguation needs synthetic scenes; not applicable "
            "to data.source shards");
  c.Require(d.held_out.empty(), d.held_out, d,
            "data.held_out: held-out colour-shape combinations need synthetic scenes; not "
            "applicable to data.source shards");
  c.Require(d.weights.empty(), d.weights, d,
            "data.weights: a corpus is sampled uniformly over its samples of the trained pairs; "
            "pair weights apply to synthetic data only");
  for (const auto& m : spec.evaluation.metrics) {
    c.Require(m != EvalMetric::kDisambiguation && m != EvalMetric::kExactMatch, m,
              spec.evaluation.metrics,
              "evaluation.metrics: '" + ToString(m) +
                  "' needs synthetic ground truth (scene graphs, homonyms); not applicable to "
                  "data.source shards (use cross_entropy, bleu, language_accuracy)");
  }
}

void ValidateData(const ExperimentSpec& spec, Checker& c) {
  const DataOptions& d = spec.data;
  if (d.source == DataSourceKind::kShards) {
    ValidateShardsSource(spec, c);
  } else {
    c.Require(d.image == ImageMode::kRendered || d.image == ImageMode::kSymbolic, d.image, d,
              "data.image: synthetic data is `rendered` or `symbolic`; `" + ToString(d.image) +
                  "` needs data.source shards");
    c.Require(d.train.empty() && d.eval.empty() && d.tokenizer.empty(), d.source, d,
              "data.source: data.train, data.eval and data.tokenizer need data.source shards");
    c.Require(d.max_image_pixels == kDefaultMaxImagePixels, d.max_image_pixels, d,
              "data.max_image_pixels: limits a corpus's images; needs data.source shards");
    c.Require(d.max_text_bytes == kDefaultMaxTextBytes, d.max_text_bytes, d,
              "data.max_text_bytes: limits a corpus's texts; needs data.source shards");
    c.Require(d.cache_dir.empty(), d.cache_dir, d,
              "data.cache_dir: holds a corpus's caches; needs data.source shards");
  }
  c.Require(d.image_size >= 8 && d.image_size <= 512, d.image_size, d,
            "data.image_size: must be 8-512 pixels, got " + std::to_string(d.image_size));
  c.Require(d.image_noise >= 0 && d.image_noise <= 1, d.image_noise, d,
            "data.image_noise: must be 0-1, got " + Num(d.image_noise));
  c.Require(d.min_objects >= 1, d.min_objects, d,
            "data.min_objects: must be >= 1, got " + std::to_string(d.min_objects));
  c.Require(d.max_objects >= d.min_objects, d.max_objects, d,
            "data.max_objects: must be >= min_objects (" + std::to_string(d.min_objects) +
                "), got " + std::to_string(d.max_objects));
  // Each object needs at least an 8 x 8 cell of the image to be drawn recognisably.
  const int cells = (d.image_size / 8) * (d.image_size / 8);
  c.Require(d.source == DataSourceKind::kShards || d.max_objects <= std::min(cells, 16),
            d.max_objects, d,
            "data.max_objects: " + std::to_string(d.max_objects) + " objects do not fit a " +
                std::to_string(d.image_size) + "x" + std::to_string(d.image_size) +
                " image (at most " + std::to_string(std::min(cells, 16)) + ")");
  c.Require(d.max_caption_tokens >= 4 && d.max_caption_tokens <= 512, d.max_caption_tokens, d,
            "data.max_caption_tokens: must be 4-512, got " + std::to_string(d.max_caption_tokens));
  ValidateLanguages(d, c);
  ValidateCoverage(d, c);
  std::set<std::string> words;
  for (const auto& w : d.ambiguous_words) {
    c.Require(!w.empty(), w, d.ambiguous_words, "data.ambiguous_words: empty word");
    c.Require(words.insert(w).second, w, d.ambiguous_words,
              "data.ambiguous_words: '" + w + "' appears twice");
  }
}

void ValidateSize(const ExperimentSpec& spec, const ModelSize& s, Checker& c) {
  const std::string at = "model.sizes." + s.name + ": ";
  const ModelOptions& m = spec.model;
  c.Require(IsSafeName(s.name), s, m.sizes,
            "model.sizes: size name '" + s.name +
                "' must be 1-64 letters, digits, '.', '_' or '-' (give `name:` or `preset:`)");
  const bool complete =
      s.d_model > 0 && s.encoder_layers > 0 && s.decoder_layers > 0 && s.heads > 0 && s.ffn > 0;
  if (!complete) {
    c.Fail(s, m.sizes,
           at + "every dimension must be > 0 (d_model " + std::to_string(s.d_model) +
               ", encoder_layers " + std::to_string(s.encoder_layers) + ", decoder_layers " +
               std::to_string(s.decoder_layers) + ", heads " + std::to_string(s.heads) + ", ffn " +
               std::to_string(s.ffn) + "); give a preset or all of them");
    return;
  }
  c.Require(s.d_model % s.heads == 0, s.heads, s,
            at + "heads " + std::to_string(s.heads) + " do not divide d_model " +
                std::to_string(s.d_model));
  const int tp = s.tensor_parallel, dp = s.data_parallel;
  c.Require3(tp >= 1 && tp <= 4096, s.tensor_parallel, spec.parallel.tensor_parallel, s,
             at + "tensor_parallel must be 1-4096, got " + std::to_string(tp));
  c.Require3(dp >= 1 && dp <= 65536, s.data_parallel, spec.parallel.data_parallel, s,
             at + "data_parallel must be 1-65536, got " + std::to_string(dp));
  if (tp < 1 || dp < 1) return;
  c.Require3(s.heads % tp == 0, s.tensor_parallel, spec.parallel.tensor_parallel, s,
             at + "tensor_parallel " + std::to_string(tp) + " does not divide heads " +
                 std::to_string(s.heads));
  c.Require3(s.ffn % tp == 0, s.tensor_parallel, spec.parallel.tensor_parallel, s,
             at + "tensor_parallel " + std::to_string(tp) + " does not divide ffn " +
                 std::to_string(s.ffn));
  c.Require3(m.vocab_size % tp == 0, s.tensor_parallel, spec.parallel.tensor_parallel, s,
             at + "tensor_parallel " + std::to_string(tp) + " does not divide model.vocab_size " +
                 std::to_string(m.vocab_size) + " (pad the vocabulary to a multiple of " +
                 std::to_string(tp) + ")");
  c.Require3(spec.training.batch_size % dp == 0, s.data_parallel, spec.parallel.data_parallel, s,
             at + "data_parallel " + std::to_string(dp) + " does not divide training.batch_size " +
                 std::to_string(spec.training.batch_size));
  // The global batch = micro batch × accumulation steps × data_parallel.
  const int64_t micro = spec.training.micro_batch_size, batch = spec.training.batch_size;
  if (batch >= 1 && batch % dp == 0) {
    // What one rank's forward/backward keeps: refused when no machine could hold it (rather
    // than a bare std::bad_alloc at run time).
    const int64_t per_pass = micro > 0 ? micro : batch / dp;
    const double bytes = static_cast<double>(per_pass) *
                         ActivationBytesPerSample(s, m, EstimateSequenceShape(spec.data, m));
    if (bytes > kMaxActivationBytes) {
      const std::string message =
          at + std::to_string(per_pass) + " samples per forward/backward on one rank need about " +
          std::to_string(static_cast<int64_t>(bytes / (1024.0 * 1024 * 1024))) +
          " GiB of activations (more than 1 TiB); lower training.batch_size, or set "
          "training.micro_batch_size";
      if (micro > 0) {
        c.Fail(spec.training.micro_batch_size, spec.training, message);
      } else {
        c.Fail(spec.training.batch_size, spec.training, message);
      }
    }
  }
  if (micro > 0 && batch % dp == 0) {
    const int64_t per_rank = batch / dp;
    c.Require(per_rank % micro == 0, spec.training.micro_batch_size, spec.training,
              "training.micro_batch_size: " + std::to_string(micro) + " does not divide the " +
                  std::to_string(per_rank) + " samples per rank of size '" + s.name +
                  "' (training.batch_size " + std::to_string(batch) + " / data_parallel " +
                  std::to_string(dp) +
                  "); the global batch is micro_batch_size × accumulation steps × data_parallel");
  }
}

void ValidateModel(ExperimentSpec& spec, Checker& c) {
  ModelOptions& m = spec.model;
  c.Require(m.family == "encoder_decoder", m.family, m,
            "model.family: unknown family '" + m.family + "'" +
                DidYouMean(m.family, {"encoder_decoder"}) + "; known: encoder_decoder");
  c.Require(m.vocab_size >= 16 && m.vocab_size <= 10000000, m.vocab_size, m,
            "model.vocab_size: must be 16-10000000, got " + std::to_string(m.vocab_size));
  if (m.parametrization == Parametrization::kMup) {
    c.Require(m.base_width >= 1, m.base_width, m.parametrization,
              "model.base_width: muP needs the width whose hyperparameters transfer (>= 1)");
  } else {
    c.Require(m.base_width == 0, m.base_width, m,
              "model.base_width: belongs to model.parametrization: mup (parametrization is " +
                  std::string(ToString(m.parametrization)) + ")");
  }
  const LearningRateRuleKind rule = spec.training.optimizer.learning_rate_rule.kind;
  if (m.parametrization == Parametrization::kMup) {
    c.Require(rule != LearningRateRuleKind::kPower, spec.training.optimizer.learning_rate_rule,
              spec.training.optimizer,
              "training.optimizer.learning_rate_rule: a muP model scales its layers' rates with "
              "the width itself; use kind: mup (or constant), not power");
  } else {
    c.Require(rule != LearningRateRuleKind::kMup, spec.training.optimizer.learning_rate_rule,
              spec.training.optimizer,
              "training.optimizer.learning_rate_rule: kind mup needs model.parametrization: mup");
  }
  c.Require(m.patch_size >= 1, m.patch_size, m,
            "model.patch_size: must be >= 1, got " + std::to_string(m.patch_size));
  if ((spec.data.image == ImageMode::kRendered || spec.data.image == ImageMode::kPixels) &&
      m.patch_size >= 1) {
    c.Require(spec.data.image_size % m.patch_size == 0, m.patch_size, m,
              "model.patch_size: " + std::to_string(m.patch_size) +
                  " does not divide data.image_size " + std::to_string(spec.data.image_size));
  }
  c.Require(!m.sizes.empty(), m.sizes, m, "model.sizes: the grid has no model sizes");
  for (auto& s : m.sizes) {
    s.Resolve();
    if (s.tensor_parallel == 0) s.tensor_parallel = spec.parallel.tensor_parallel;
    if (s.data_parallel == 0) s.data_parallel = spec.parallel.data_parallel;
  }
  for (size_t i = 0; i < m.sizes.size(); ++i) {
    const ModelSize& s = m.sizes[i];
    ValidateSize(spec, s, c);
    for (size_t j = 0; j < i; ++j) {
      const ModelSize& t = m.sizes[j];
      if (t.name == s.name) {
        c.Fail(s, m.sizes, "model.sizes: duplicate size '" + s.name + "'");
      } else if (t.d_model == s.d_model && t.encoder_layers == s.encoder_layers &&
                 t.decoder_layers == s.decoder_layers && t.heads == s.heads && t.ffn == s.ffn &&
                 t.tensor_parallel == s.tensor_parallel && t.data_parallel == s.data_parallel) {
        c.Fail(s, m.sizes,
               "model.sizes: size '" + s.name + "' duplicates size '" + t.name +
                   "' (same dimensions and layout)");
      }
    }
  }
}

void ValidateTraining(const ExperimentSpec& spec, Checker& c) {
  const TrainingOptions& t = spec.training;
  c.Require(t.batch_size >= 1, t.batch_size, t,
            "training.batch_size: must be >= 1, got " + std::to_string(t.batch_size));
  c.Require(t.micro_batch_size >= 0 && t.micro_batch_size <= t.batch_size, t.micro_batch_size, t,
            "training.micro_batch_size: must be 0 (the whole batch of a rank) to batch_size " +
                std::to_string(t.batch_size) + ", got " + std::to_string(t.micro_batch_size));
  c.Require(!t.budgets.empty(), t.budgets, t, "training.budgets: the grid has no sample budgets");
  std::set<int64_t> seen;
  for (const auto& b : t.budgets) {
    c.Require(b >= t.batch_size && b >= 1, b, t.budgets,
              "training.budgets: budget " + std::to_string(b) +
                  " is less than one batch (batch_size " + std::to_string(t.batch_size) + ")");
    c.Require(seen.insert(b).second, b, t.budgets,
              "training.budgets: budget " + std::to_string(b) + " appears twice");
  }
  if (t.branching) {
    c.Require(t.schedule.kind == ScheduleKind::kWsd, t.branching, t,
              "training.branching: budgets branch off a trunk at constant learning rate, which "
              "needs training.schedule.kind: wsd (got " +
                  ToString(t.schedule.kind) + ")");
    c.Require(t.schedule.warmup_samples > 0 || t.schedule.warmup_samples_per_param > 0 ||
                  t.schedule.warmup_fraction == 0,
              t.branching, t,
              "training.branching: the warm-up must be the same for every budget: give "
              "training.schedule.warmup_samples or warmup_samples_per_param (a "
              "warmup_fraction differs per budget)");
  }
  const auto& o = t.optimizer;
  c.Require(o.learning_rate > 0 && o.learning_rate < 10, o.learning_rate, o,
            "training.optimizer.learning_rate: must be in (0, 10), got " + Num(o.learning_rate));
  c.Require(o.learning_rate_scale > 0 && o.learning_rate_scale <= 1000, o.learning_rate_scale, o,
            "training.optimizer.learning_rate_scale: must be in (0, 1000], got " +
                Num(o.learning_rate_scale));
  const LearningRateRule& rule = o.learning_rate_rule;
  if (rule.kind == LearningRateRuleKind::kPower) {
    c.Require(rule.base_width >= 1, rule.base_width, rule,
              "training.optimizer.learning_rate_rule: a power rule needs base_width (the width "
              "at which the rate is learning_rate), >= 1");
    c.Require(rule.exponent >= -4 && rule.exponent <= 4, rule.exponent, rule,
              "training.optimizer.learning_rate_rule.exponent: must be in [-4, 4], got " +
                  Num(rule.exponent));
  } else {
    const std::string only_power =
        " belongs to kind: power (kind is " + std::string(ToString(rule.kind)) + ")";
    c.Require(rule.base_width == 0, rule.base_width, rule,
              "training.optimizer.learning_rate_rule.base_width" + only_power);
    c.Require(rule.exponent == 0, rule.exponent, rule,
              "training.optimizer.learning_rate_rule.exponent" + only_power);
  }
  c.Require(o.weight_decay >= 0, o.weight_decay, o,
            "training.optimizer.weight_decay: must be >= 0, got " + Num(o.weight_decay));
  c.Require(o.beta1 >= 0 && o.beta1 < 1, o.beta1, o,
            "training.optimizer.beta1: must be in [0, 1), got " + Num(o.beta1));
  c.Require(o.beta2 >= 0 && o.beta2 < 1, o.beta2, o,
            "training.optimizer.beta2: must be in [0, 1), got " + Num(o.beta2));
  c.Require(o.epsilon > 0, o.epsilon, o, "training.optimizer.epsilon: must be > 0");
  const auto& s = t.schedule;
  c.Require(s.warmup_fraction >= 0 && s.warmup_fraction < 1, s.warmup_fraction, s,
            "training.schedule.warmup_fraction: must be in [0, 1), got " + Num(s.warmup_fraction));
  c.Require(s.warmup_samples >= 0, s.warmup_samples, s,
            "training.schedule.warmup_samples: must be >= 0");
  c.Require(s.warmup_samples_per_param >= 0 && s.warmup_samples_per_param <= 1e6,
            s.warmup_samples_per_param, s,
            "training.schedule.warmup_samples_per_param: must be in [0, 1e6], got " +
                Num(s.warmup_samples_per_param));
  c.Require(s.warmup_samples == 0 || s.warmup_samples_per_param == 0, s.warmup_samples_per_param, s,
            "training.schedule.warmup_samples_per_param: give the warm-up in samples or per "
            "parameter, not both (warmup_samples is " +
                std::to_string(s.warmup_samples) + ")");
  for (const auto& b : t.budgets) {
    if (s.warmup_samples >= b && b > 0) {
      c.Fail(s.warmup_samples, s,
             "training.schedule.warmup_samples: " + std::to_string(s.warmup_samples) +
                 " is not less than budget " + std::to_string(b));
      break;
    }
  }
  c.Require(s.min_lr_ratio >= 0 && s.min_lr_ratio <= 1, s.min_lr_ratio, s,
            "training.schedule.min_lr_ratio: must be in [0, 1], got " + Num(s.min_lr_ratio));
  c.Require(s.decay_fraction > 0 && s.decay_fraction <= 1, s.decay_fraction, s,
            "training.schedule.decay_fraction: must be in (0, 1], got " + Num(s.decay_fraction));
  c.Require(s.decay_shape == DecayShape::kLinear || s.kind == ScheduleKind::kWsd, s.decay_shape, s,
            "training.schedule.decay_shape: only wsd has a decay phase (kind is " +
                std::string(ToString(s.kind)) + ")");
  c.Require(t.grad_clip >= 0, t.grad_clip, t,
            "training.grad_clip: must be >= 0 (0 = off), got " + Num(t.grad_clip));
  c.Require(t.log_interval >= 1, t.log_interval, t,
            "training.log_interval: must be >= 1 step, got " + std::to_string(t.log_interval));
}

// Per size, once the sizes are resolved: the rule's rate in (0, 10) and the warm-up per
// parameter shorter than every budget.
void ValidateRatesOfSizes(const ExperimentSpec& spec, Checker& c) {
  const TrainingOptions& t = spec.training;
  const LearningRateRule& rule = t.optimizer.learning_rate_rule;
  const SequenceShape shape = EstimateSequenceShape(spec.data, spec.model);
  for (const ModelSize& size : spec.model.sizes) {
    if (size.d_model < 1 || size.heads < 1 || size.d_model % size.heads != 0) continue;
    const double rate = PeakLearningRate(t.optimizer, size);
    const bool checked = t.optimizer.learning_rate > 0 && t.optimizer.learning_rate_scale > 0;
    if (checked &&
        (rule.kind != LearningRateRuleKind::kConstant || t.optimizer.learning_rate_scale != 1)) {
      c.Require(rate > 0 && rate < 10, rule, t.optimizer,
                "training.optimizer.learning_rate_rule: size '" + size.name + "' (d_model " +
                    std::to_string(size.d_model) + ") gets learning rate " + Num(rate) +
                    ", outside (0, 10)");
    }
    if (t.schedule.warmup_samples_per_param <= 0 || t.schedule.warmup_samples > 0 ||
        t.budgets.empty()) {
      continue;
    }
    const int64_t n = ComputeModelCost(size, spec.model, shape).non_embedding_params;
    const int64_t warmup = WarmupSamplesOf(t.schedule, n);
    const int64_t smallest = *std::min_element(t.budgets.begin(), t.budgets.end());
    c.Require(warmup < smallest, t.schedule.warmup_samples_per_param, t.schedule,
              "training.schedule.warmup_samples_per_param: size '" + size.name + "' (" +
                  std::to_string(n) + " non-embedding parameters) warms up for " +
                  std::to_string(warmup) + " samples, not less than budget " +
                  std::to_string(smallest));
  }
}

void ValidateEvaluation(const ExperimentSpec& spec, Checker& c) {
  const EvaluationOptions& e = spec.evaluation;
  c.Require(e.interval >= 0, e.interval, e, "evaluation.interval: must be >= 0 (0 = at the end)");
  c.Require(
      e.samples_per_pair >= 1 && e.samples_per_pair <= 1000000, e.samples_per_pair, e,
      "evaluation.samples_per_pair: must be 1-1000000, got " + std::to_string(e.samples_per_pair));
  c.Require(!e.metrics.empty(), e.metrics, e, "evaluation.metrics: give at least one metric");
  std::set<EvalMetric> seen;
  for (const auto& m : e.metrics) {
    c.Require(seen.insert(m).second, m, e.metrics,
              "evaluation.metrics: '" + ToString(m) + "' appears twice");
  }
  c.Require(e.beam_size >= 1 && e.beam_size <= 64, e.beam_size, e,
            "evaluation.beam_size: must be 1-64, got " + std::to_string(e.beam_size));
  c.Require(e.max_length >= 1 && e.max_length <= 1024, e.max_length, e,
            "evaluation.max_length: must be 1-1024, got " + std::to_string(e.max_length));
  c.Require(e.batch_size >= 0 && e.batch_size <= 1000000, e.batch_size, e,
            "evaluation.batch_size: must be 0 (training.batch_size) to 1000000, got " +
                std::to_string(e.batch_size));
}

void ValidateExecution(const ExperimentSpec& spec, Checker& c) {
  const auto& p = spec.parallel;
  c.Require(p.tensor_parallel >= 1, p.tensor_parallel, p, "parallel.tensor_parallel: must be >= 1");
  c.Require(p.data_parallel >= 1, p.data_parallel, p, "parallel.data_parallel: must be >= 1");
  const auto& x = spec.execution;
  c.Require(x.retries >= 0 && x.retries <= 100, x.retries, x,
            "execution.retries: must be 0-100, got " + std::to_string(x.retries));
  c.Require(x.checkpoint_interval >= 0, x.checkpoint_interval, x,
            "execution.checkpoint_interval: must be >= 0 (0 = at the end)");
  c.Require(x.heartbeat_timeout.seconds >= 1, x.heartbeat_timeout, x,
            "execution.heartbeat_timeout: must be at least 1 second");
  c.Require(x.collective_timeout.seconds >= 1, x.collective_timeout, x,
            "execution.collective_timeout: must be at least 1 second");
  c.Require(x.threads >= 0 && x.threads <= 1024, x.threads, x,
            "execution.threads: must be 0-1024 (0 = the cores this process may use)");
  c.Require(x.data_threads >= -1 && x.data_threads <= 256, x.data_threads, x,
            "execution.data_threads: must be -1 (the default) to 256, got " +
                std::to_string(x.data_threads));
}

void ValidateSelectors(const ExperimentSpec& spec, Checker& c) {
  std::vector<std::string> sizes;
  for (const auto& s : spec.model.sizes) sizes.push_back(s.name);
  auto check = [&](const std::vector<RunSelector>& list, const char* what, bool is_include) {
    for (const auto& r : list) {
      if (is_include || !r.size.empty()) {
        c.Require(std::find(sizes.begin(), sizes.end(), r.size) != sizes.end(), r.size, r,
                  std::string(what) + ": size '" + r.size + "' is not in model.sizes" +
                      DidYouMean(r.size, sizes));
      }
      if (is_include) {
        c.Require(r.budget >= spec.training.batch_size, r.budget, r,
                  std::string(what) + ": give a budget of at least one batch (" +
                      std::to_string(spec.training.batch_size) + " samples)");
      } else {
        c.Require(r.budget >= 0, r.budget, r, std::string(what) + ": budget must be >= 0");
      }
      c.Require(r.seed >= -1, r.seed, r, std::string(what) + ": seed must be >= 0");
    }
  };
  check(spec.include, "include", true);
  check(spec.exclude, "exclude", false);
}

}  // namespace

bool IsSafeName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

void ResolveAndValidate(ExperimentSpec& spec, const SpecLocations& where, Diagnostics* problems) {
  Checker c(where, problems);
  ValidateExperiment(spec, c);
  ValidateData(spec, c);
  ValidateTraining(spec, c);
  ValidateModel(spec, c);
  ValidateRatesOfSizes(spec, c);
  ValidateEvaluation(spec, c);
  ValidateExecution(spec, c);
  ValidateSelectors(spec, c);
}

}  // namespace florenz
