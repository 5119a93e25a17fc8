// The enumerations of the grid spec, each with a ToString / FromString pair so that grid files,
// logs and the resolved experiment.yaml spell them the same way (STYLE.md, after Ceres).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace florenz {

// How an image reaches the model. Synthetic data: rendered RGB pixels (patch embedding), or one
// noisy attribute vector per object (`symbolic`, the cheap mode for CPU studies). A corpus of
// shards: its decoded JPEG/PNG `pixels` (patch embedding), or its precomputed `features`
// (.npy, projected into d_model by a trainable linear layer).
enum class ImageMode { kRendered, kSymbolic, kPixels, kFeatures };
// Where a grid's samples come from: florenz's procedural data, or the user's WebDataset shards.
enum class DataSourceKind { kSynthetic, kShards };
// A bad sample of a corpus (corrupt member, undecodable image, missing field): stop the run
// with SHARD:KEY and the reason, or skip it, count it and record the count.
enum class BadSampleAction { kStop, kSkip };
// The two tasks of the paper: image → text in L, and image + English text → L.
enum class Task { kCaption, kTranslate };
// A (task, language) pair is trained (and evaluated) or evaluation-only.
enum class PairRole { kTrain, kEval };
// Learning-rate schedule after warm-up: cosine decay, warmup-stable-decay, constant.
enum class ScheduleKind { kCosine, kWsd, kConstant };
// When the generation metrics (BLEU, output language, exact match, disambiguation) are
// computed: at the final evaluation only, or at every evaluation (cross-entropy always is).
enum class GenerationWhen { kFinal, kEvery };
// How wsd's decay goes from the peak to the floor over t in [0, 1]: linearly, as a half cosine,
// or as 1 - sqrt(t) (Hägele et al. 2024: a (1-sqrt) cooldown of 10-20 % matches cosine).
enum class DecayShape { kLinear, kCosine, kOneMinusSqrt };
// How the peak learning rate depends on the size (training_options.h, LearningRateRule). `mup`:
// one rate for every width, which a muP model scales per layer itself (model.parametrization).
enum class LearningRateRuleKind { kConstant, kPower, kMup };
// How the model's initialisation, multipliers and per-layer learning rates scale with the width:
// as usual (standard), or the maximal-update parametrisation (muP, Yang et al. 2022).
enum class Parametrization { kStandard, kMup };
// For evaluation-only pairs: decode without the target-language prefix, with it, or both.
enum class DecoderPrefix { kWithout, kWith, kBoth };
// Where a training rank runs: a CUDA GPU when LibTorch sees one (auto), the CPU, or a GPU
// without fallback (cuda: no visible GPU is an error before any run starts).
enum class DeviceKind { kAuto, kCpu, kCuda };
// Arithmetic of training and evaluation: float32 throughout; bfloat16 autocast for matmuls
// and attention with float32 master weights, optimizer state and loss reduction; or float32
// tensors whose matmuls may use a GPU's TF32 tensor cores (on the CPU the same as fp32).
// New values go at the end: the order is no file format, but keep it stable all the same.
enum class Precision { kFp32, kBf16, kTf32 };
// What evaluation computes for each pair.
enum class EvalMetric { kCrossEntropy, kBleu, kLanguageAccuracy, kDisambiguation, kExactMatch };

// Typology of a language (workers/data turns these into grammar rules).
enum class RelationOrder { kPreposition, kPostposition };
enum class AdjectivePosition { kBefore, kAfter };
enum class Articles { kNone, kDefinite, kIndefiniteDefinite };
enum class NumberMarking { kNone, kSuffix, kClassifier };
enum class CaseMarking { kNone, kSuffix };

// Specialised for each enum above: the (value, spelling) table and what the values are called
// in error messages ("schedule kind").
template <class E>
struct EnumNames;

#define FLORENZ_DECLARE_ENUM_NAMES(E)                             \
  template <>                                                     \
  struct EnumNames<E> {                                           \
    static const std::vector<std::pair<E, std::string>>& Table(); \
    static const char* What();                                    \
  };
FLORENZ_DECLARE_ENUM_NAMES(ImageMode)
FLORENZ_DECLARE_ENUM_NAMES(DataSourceKind)
FLORENZ_DECLARE_ENUM_NAMES(BadSampleAction)
FLORENZ_DECLARE_ENUM_NAMES(Task)
FLORENZ_DECLARE_ENUM_NAMES(PairRole)
FLORENZ_DECLARE_ENUM_NAMES(ScheduleKind)
FLORENZ_DECLARE_ENUM_NAMES(DecayShape)
FLORENZ_DECLARE_ENUM_NAMES(LearningRateRuleKind)
FLORENZ_DECLARE_ENUM_NAMES(Parametrization)
FLORENZ_DECLARE_ENUM_NAMES(GenerationWhen)
FLORENZ_DECLARE_ENUM_NAMES(DecoderPrefix)
FLORENZ_DECLARE_ENUM_NAMES(EvalMetric)
FLORENZ_DECLARE_ENUM_NAMES(DeviceKind)
FLORENZ_DECLARE_ENUM_NAMES(Precision)
FLORENZ_DECLARE_ENUM_NAMES(RelationOrder)
FLORENZ_DECLARE_ENUM_NAMES(AdjectivePosition)
FLORENZ_DECLARE_ENUM_NAMES(Articles)
FLORENZ_DECLARE_ENUM_NAMES(NumberMarking)
FLORENZ_DECLARE_ENUM_NAMES(CaseMarking)
#undef FLORENZ_DECLARE_ENUM_NAMES

// True for the enums above; lets generic readers and writers recognise them.
template <class E, class = void>
struct IsNamedEnum : std::false_type {};
template <class E>
struct IsNamedEnum<E, std::void_t<decltype(EnumNames<E>::Table())>> : std::true_type {};

template <class E>
std::string ToString(E value) {
  for (const auto& [v, name] : EnumNames<E>::Table()) {
    if (v == value) return name;
  }
  return "?";
}

template <class E>
bool FromString(const std::string& text, E* value) {
  for (const auto& [v, name] : EnumNames<E>::Table()) {
    if (name == text) {
      *value = v;
      return true;
    }
  }
  return false;
}

template <class E>
std::vector<std::string> EnumSpellings() {
  std::vector<std::string> names;
  for (const auto& entry : EnumNames<E>::Table()) names.push_back(entry.second);
  return names;
}

}  // namespace florenz
