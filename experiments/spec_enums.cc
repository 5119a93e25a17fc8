// Spellings of the grid spec's enumerations, as they appear in grid YAML files.
#include "experiments/spec_enums.h"

namespace florenz {

#define FLORENZ_ENUM_NAMES(E, what, ...)                                    \
  const std::vector<std::pair<E, std::string>>& EnumNames<E>::Table() {     \
    static const std::vector<std::pair<E, std::string>> table{__VA_ARGS__}; \
    return table;                                                           \
  }                                                                         \
  const char* EnumNames<E>::What() { return what; }

FLORENZ_ENUM_NAMES(ImageMode, "image mode", {ImageMode::kRendered, "rendered"},
                   {ImageMode::kSymbolic, "symbolic"}, {ImageMode::kPixels, "pixels"},
                   {ImageMode::kFeatures, "features"})
FLORENZ_ENUM_NAMES(DataSourceKind, "data source", {DataSourceKind::kSynthetic, "synthetic"},
                   {DataSourceKind::kShards, "shards"})
FLORENZ_ENUM_NAMES(BadSampleAction, "bad-sample action", {BadSampleAction::kStop, "stop"},
                   {BadSampleAction::kSkip, "skip"})
FLORENZ_ENUM_NAMES(Task, "task", {Task::kCaption, "caption"}, {Task::kTranslate, "translate"})
FLORENZ_ENUM_NAMES(PairRole, "pair role", {PairRole::kTrain, "train"}, {PairRole::kEval, "eval"})
FLORENZ_ENUM_NAMES(ScheduleKind, "schedule kind", {ScheduleKind::kCosine, "cosine"},
                   {ScheduleKind::kWsd, "wsd"}, {ScheduleKind::kConstant, "constant"})
FLORENZ_ENUM_NAMES(GenerationWhen, "generation setting", {GenerationWhen::kFinal, "final"},
                   {GenerationWhen::kEvery, "every"})
FLORENZ_ENUM_NAMES(DecayShape, "decay shape", {DecayShape::kLinear, "linear"},
                   {DecayShape::kCosine, "cosine"}, {DecayShape::kOneMinusSqrt, "1-sqrt"})
FLORENZ_ENUM_NAMES(LearningRateRuleKind, "learning-rate rule",
                   {LearningRateRuleKind::kConstant, "constant"},
                   {LearningRateRuleKind::kPower, "power"}, {LearningRateRuleKind::kMup, "mup"})
FLORENZ_ENUM_NAMES(Parametrization, "parametrization", {Parametrization::kStandard, "standard"},
                   {Parametrization::kMup, "mup"})
FLORENZ_ENUM_NAMES(DecoderPrefix, "decoder prefix mode", {DecoderPrefix::kWithout, "without"},
                   {DecoderPrefix::kWith, "with"}, {DecoderPrefix::kBoth, "both"})
FLORENZ_ENUM_NAMES(EvalMetric, "evaluation metric", {EvalMetric::kCrossEntropy, "cross_entropy"},
                   {EvalMetric::kBleu, "bleu"},
                   {EvalMetric::kLanguageAccuracy, "language_accuracy"},
                   {EvalMetric::kDisambiguation, "disambiguation"},
                   {EvalMetric::kExactMatch, "exact_match"})
FLORENZ_ENUM_NAMES(DeviceKind, "device", {DeviceKind::kAuto, "auto"}, {DeviceKind::kCpu, "cpu"},
                   {DeviceKind::kCuda, "cuda"})
FLORENZ_ENUM_NAMES(Precision, "precision", {Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"},
                   {Precision::kTf32, "tf32"})
FLORENZ_ENUM_NAMES(RelationOrder, "relation order", {RelationOrder::kPreposition, "preposition"},
                   {RelationOrder::kPostposition, "postposition"})
FLORENZ_ENUM_NAMES(AdjectivePosition, "adjective position", {AdjectivePosition::kBefore, "before"},
                   {AdjectivePosition::kAfter, "after"})
FLORENZ_ENUM_NAMES(Articles, "article system", {Articles::kNone, "none"},
                   {Articles::kDefinite, "definite"},
                   {Articles::kIndefiniteDefinite, "indefinite_definite"})
FLORENZ_ENUM_NAMES(NumberMarking, "number marking", {NumberMarking::kNone, "none"},
                   {NumberMarking::kSuffix, "suffix"}, {NumberMarking::kClassifier, "classifier"})
FLORENZ_ENUM_NAMES(CaseMarking, "case marking", {CaseMarking::kNone, "none"},
                   {CaseMarking::kSuffix, "suffix"})

#undef FLORENZ_ENUM_NAMES

}  // namespace florenz
