// Evaluation (see evaluator.h). Sums stay on the model's device until one all-reduce and one
// read per call (device_reads.h), so a batch never waits for the one before it.
#include "workers/train/evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "parallel/device_reads.h"
#include "workers/train/precision.h"

namespace florenz::train {
namespace {

constexpr const char* kCrossEntropy = "cross_entropy";
// The same CE over the tokens after the target language's decoder prefix ("the image shows"):
// the paper's headline measure for unseen pairs, whose fixed prefix says nothing about the image.
constexpr const char* kCrossEntropyExclPrefix = "cross_entropy_excl_prefix";
constexpr const char* kDisambiguation = "disambiguation";
// The control: the same items with the images blanked (chance = 0.5 if the model uses them).
constexpr const char* kDisambiguationBlank = "disambiguation_blank";

// `batch` with each sample's first prefix_tokens targets replaced by <pad>: SampleLoss then
// averages over the tokens after the prefix, while the decoder still reads the prefix as input.
// `batch` is collated on the host, which also computes the new targets' rows.
model::Batch WithoutPrefixTargets(model::Batch batch, const std::vector<data::Example>& examples) {
  batch.target = batch.target.clone();
  for (size_t i = 0; i < examples.size(); ++i) {
    const int64_t n = std::min<int64_t>(examples[i].prefix_tokens, batch.target.size(1));
    if (n > 0) {
      batch.target[static_cast<int64_t>(i)].slice(0, 0, n).fill_(data::Vocabulary::kPad);
    }
  }
  batch.target_rows = model::TargetRows(batch.target);
  return batch;
}

int DpRank(const Communicator* dp) { return dp != nullptr ? dp->rank() : 0; }
int DpSize(const Communicator* dp) { return dp != nullptr ? dp->size() : 1; }

// `sums` summed over the dp ranks: in place on the device for NCCL, through a host copy for
// MPI (which reduces CPU tensors). One replica: `sums` itself.
torch::Tensor SumOverReplicas(torch::Tensor sums, Communicator* dp) {
  if (DpSize(dp) == 1 || sums.numel() == 0) return sums;
  torch::Tensor reduced = std::strcmp(dp->backend(), "nccl") == 0 ? sums : ReadToHost(sums);
  dp->AllReduce(reduced, ReduceOp::kSum);
  return reduced;
}

}  // namespace

EvalShare ShareOf(int64_t size, int rank, int ranks) {
  const int64_t base = size / ranks, extra = size % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::string PairMetricName(const std::string& pair) { return "cross_entropy_" + pair; }

std::string PairMetricExclPrefixName(const std::string& pair) {
  return std::string(kCrossEntropyExclPrefix) + "_" + pair;
}

Evaluator::Evaluator(const ExperimentSpec& run, const data::DataSource& data)
    : data_(data),
      layout_(model::LayoutOf(run.data, run.model.patch_size)),
      batch_size_(run.evaluation.batch_size > 0 ? run.evaluation.batch_size
                                                : run.training.batch_size),
      precision_(run.training.precision),
      samples_per_pair_(run.evaluation.samples_per_pair),
      metrics_(run.evaluation.metrics),
      generate_every_(run.evaluation.generation == GenerationWhen::kEvery),
      generation_(run.evaluation, data, layout_, batch_size_) {
  for (size_t p = 0; p < data.pairs().size(); ++p) {
    const int64_t size = data.EvalSetSize(static_cast<int>(p), samples_per_pair_);
    std::vector<data::Example> set;
    set.reserve(size);
    for (int64_t i = 0; i < size; ++i) set.push_back(data.EvalExample(static_cast<int>(p), i));
    sets_.push_back(std::move(set));
  }
  if (disambiguation_enabled()) {
    for (const auto& pair : data.pairs()) {
      if (pair.task != Task::kTranslate) continue;
      auto& items = disambiguation_[pair.language];
      for (int i = 0; i < samples_per_pair_; ++i) {
        items.push_back(data.synthetic()->Disambiguation(pair.language, i));
      }
    }
  }
}

bool Evaluator::disambiguation_enabled() const {
  return std::find(metrics_.begin(), metrics_.end(), EvalMetric::kDisambiguation) !=
             metrics_.end() &&
         data_.synthetic() != nullptr && !data_.synthetic()->options().ambiguous_words.empty();
}

EvalTable Evaluator::CrossEntropy(model::EncoderDecoder& model, Communicator* dp) const {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const torch::Device device = model->device();
  AutocastScope autocast(precision_, device);
  // Per pair: the summed per-sample CE over this rank's share, all tokens and after the
  // prefix, in float64 (each batch's float32 sum widened, as the host sum always was).
  torch::Tensor sums = torch::zeros({static_cast<int64_t>(sets_.size()), 2},
                                    torch::TensorOptions(torch::kFloat64).device(device));
  for (size_t p = 0; p < sets_.size(); ++p) {
    const auto& set = sets_[p];
    const EvalShare share = ShareOf(static_cast<int64_t>(set.size()), DpRank(dp), DpSize(dp));
    for (int64_t start = share.begin; start < share.end; start += batch_size_) {
      const int64_t end = std::min<int64_t>(share.end, start + batch_size_);
      const std::vector<data::Example> chunk(set.begin() + start, set.begin() + end);
      const model::Batch batch = model::Collate(chunk, layout_);
      sums[static_cast<int64_t>(p)][0].add_(
          model->SampleLoss(model::ToDevice(batch, device)).sum().to(torch::kFloat64));
      sums[static_cast<int64_t>(p)][1].add_(
          model->SampleLoss(model::ToDevice(WithoutPrefixTargets(batch, chunk), device))
              .sum()
              .to(torch::kFloat64));
      scored_ += 2 * (end - start);
    }
  }
  const std::vector<double> total = ReadDoubles(SumOverReplicas(sums, dp).view({-1}));
  EvalTable result;
  for (size_t p = 0; p < sets_.size(); ++p) {
    auto& row = result[data_.pairs()[p].name];
    const double n = static_cast<double>(sets_[p].size());
    row[kCrossEntropy] = total[2 * p] / n;
    row[kCrossEntropyExclPrefix] = total[2 * p + 1] / n;
  }
  if (was_training) model->train();
  return result;
}

std::map<std::string, double> Evaluator::Disambiguation(model::EncoderDecoder& model,
                                                        bool blank_image, Communicator* dp) const {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const torch::Device device = model->device();
  AutocastScope autocast(precision_, device);
  // Per language (in the map's order): the items this rank's share got right.
  torch::Tensor right = torch::zeros({static_cast<int64_t>(disambiguation_.size())},
                                     torch::TensorOptions(torch::kInt64).device(device));
  int64_t l = 0;
  for (const auto& [language, items] : disambiguation_) {
    const EvalShare share = ShareOf(static_cast<int64_t>(items.size()), DpRank(dp), DpSize(dp));
    for (int64_t start = share.begin; start < share.end; start += batch_size_) {
      const int64_t end = std::min<int64_t>(share.end, start + batch_size_);
      std::vector<data::Example> correct, incorrect;
      for (int64_t i = start; i < end; ++i) {
        correct.push_back(items[i].example);
        incorrect.push_back(items[i].example);
        incorrect.back().target = items[i].incorrect;
        if (blank_image) {
          std::fill(correct.back().image.begin(), correct.back().image.end(), 0.0f);
          std::fill(incorrect.back().image.begin(), incorrect.back().image.end(), 0.0f);
        }
      }
      // Both translations have the same number of tokens, so comparing the token-mean CE
      // compares the likelihoods.
      const torch::Tensor a =
          model->SampleLoss(model::ToDevice(model::Collate(correct, layout_), device));
      const torch::Tensor b =
          model->SampleLoss(model::ToDevice(model::Collate(incorrect, layout_), device));
      right[l].add_((a < b).sum());
      scored_ += 2 * (end - start);
    }
    ++l;
  }
  const std::vector<int64_t> total = ReadInt64s(SumOverReplicas(right, dp));
  std::map<std::string, double> result;
  l = 0;
  for (const auto& [language, items] : disambiguation_) {
    result[data_.LanguageName(language)] =
        static_cast<double>(total[l++]) / static_cast<double>(items.size());
  }
  if (was_training) model->train();
  return result;
}

EvalTable Evaluator::Evaluate(model::EncoderDecoder& model, bool final, Communicator* dp) const {
  EvalTable table = CrossEntropy(model, dp);
  const bool generate = final || generate_every_;
  if (generate && generation_.enabled()) {
    const bool was_training = model->is_training();
    model->eval();
    AutocastScope autocast(precision_, model->device());
    for (size_t p = 0; p < sets_.size(); ++p) {
      for (const auto& [name, value] :
           generation_.Score(model, static_cast<int>(p), sets_[p], dp, &scored_)) {
        table[data_.pairs()[p].name][name] = value;
      }
    }
    if (was_training) model->train();
  }
  if (generate && disambiguation_enabled()) {
    const auto accuracy = Disambiguation(model, false, dp), blank = Disambiguation(model, true, dp);
    for (const auto& pair : data_.pairs()) {
      if (pair.task != Task::kTranslate) continue;
      const std::string& language = data_.LanguageName(pair.language);
      auto it = accuracy.find(language);
      if (it == accuracy.end()) continue;
      table[pair.name][kDisambiguation] = it->second;
      table[pair.name][kDisambiguationBlank] = blank.at(language);
    }
  }
  return table;
}

std::vector<std::string> Evaluator::MetricNames() const {
  std::vector<std::string> names{kCrossEntropy, kCrossEntropyExclPrefix};
  names.insert(names.end(), generation_.names().begin(), generation_.names().end());
  if (disambiguation_enabled()) {
    names.push_back(kDisambiguation);
    names.push_back(kDisambiguationBlank);
  }
  return names;
}

std::map<std::string, double> Evaluator::FinalMetrics(const EvalTable& table) const {
  std::map<std::string, std::pair<double, int>> sums;
  std::map<std::string, double> out;
  for (const auto& pair : data_.pairs()) {
    auto row = table.find(pair.name);
    if (row == table.end()) continue;
    // unseen_caption, seen_translate, …: the kind of pair the aggregates group by.
    const std::string kind =
        std::string(pair.role == PairRole::kEval ? "unseen_" : "seen_") + ToString(pair.task);
    auto ce = row->second.find(kCrossEntropy);
    if (ce != row->second.end()) {
      out[PairMetricName(pair.name)] = ce->second;
      sums[kind].first += ce->second;
      sums[kind].second += 1;
    }
    auto ce_excl_prefix = row->second.find(kCrossEntropyExclPrefix);
    if (ce_excl_prefix != row->second.end()) {
      out[PairMetricExclPrefixName(pair.name)] = ce_excl_prefix->second;
      sums[kind + "_excl_prefix"].first += ce_excl_prefix->second;
      sums[kind + "_excl_prefix"].second += 1;
    }
    for (const auto& metric : generation_.names()) {
      auto value = row->second.find(metric);
      if (value == row->second.end()) continue;
      out[metric + "_" + pair.name] = value->second;
      sums[kind + "_" + metric].first += value->second;
      sums[kind + "_" + metric].second += 1;
    }
    for (const char* metric : {kDisambiguation, kDisambiguationBlank}) {
      auto accuracy = row->second.find(metric);
      if (accuracy == row->second.end()) continue;
      out[std::string(metric) + "_" + data_.LanguageName(pair.language)] = accuracy->second;
      sums[metric].first += accuracy->second;
      sums[metric].second += 1;
    }
  }
  for (const auto& [name, sum] : sums) out[name] = sum.first / sum.second;
  return out;
}

std::vector<std::string> Evaluator::FinalMetricNames() const {
  EvalTable dummy;
  for (const auto& pair : data_.pairs()) {
    dummy[pair.name][kCrossEntropy] = 0;
    dummy[pair.name][kCrossEntropyExclPrefix] = 0;
    for (const auto& name : generation_.NamesFor(pair.role)) dummy[pair.name][name] = 0;
    if (disambiguation_enabled() && pair.task == Task::kTranslate &&
        disambiguation_.count(pair.language) > 0) {
      dummy[pair.name][kDisambiguation] = 0;
      dummy[pair.name][kDisambiguationBlank] = 0;
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : FinalMetrics(dummy)) names.push_back(name);
  return names;
}

}  // namespace florenz::train
