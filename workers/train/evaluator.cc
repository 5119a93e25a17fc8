// Evaluation cross-entropy (see evaluator.h).
#include "workers/train/evaluator.h"

#include <algorithm>

namespace florenz::train {

std::string PairMetricName(const std::string& pair) { return "cross_entropy_" + pair; }

Evaluator::Evaluator(const ExperimentSpec& run, const data::DataGenerator& data)
    : data_(data),
      image_mode_(run.data.image),
      image_size_(run.data.image_size),
      patch_size_(run.model.patch_size),
      batch_size_(run.training.batch_size),
      samples_per_pair_(run.evaluation.samples_per_pair) {
  for (size_t p = 0; p < data.pairs().size(); ++p) {
    std::vector<data::Example> set;
    set.reserve(samples_per_pair_);
    for (int i = 0; i < samples_per_pair_; ++i) {
      set.push_back(data.EvalExample(static_cast<int>(p), i));
    }
    sets_.push_back(std::move(set));
  }
}

std::map<std::string, double> Evaluator::CrossEntropy(model::EncoderDecoder& model) const {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::map<std::string, double> result;
  for (size_t p = 0; p < sets_.size(); ++p) {
    double sum = 0;
    const auto& set = sets_[p];
    for (size_t start = 0; start < set.size(); start += batch_size_) {
      const size_t end = std::min(set.size(), start + batch_size_);
      const std::vector<data::Example> chunk(set.begin() + start, set.begin() + end);
      const model::Batch batch = model::Collate(chunk, image_mode_, image_size_, patch_size_);
      sum += model->SampleLoss(batch).sum().item<double>();
    }
    result[data_.pairs()[p].name] = sum / static_cast<double>(set.size());
  }
  if (was_training) model->train();
  return result;
}

std::map<std::string, double> Evaluator::Aggregates(
    const std::map<std::string, double>& per_pair) const {
  std::map<std::string, std::pair<double, int>> sums;
  for (const auto& pair : data_.pairs()) {
    const std::string name =
        std::string(pair.role == PairRole::kEval ? "unseen_" : "seen_") + ToString(pair.task);
    auto it = per_pair.find(pair.name);
    if (it == per_pair.end()) continue;
    sums[name].first += it->second;
    sums[name].second += 1;
  }
  std::map<std::string, double> out;
  for (const auto& [name, sum] : sums) out[name] = sum.first / sum.second;
  return out;
}

std::vector<std::string> Evaluator::AggregateNames() const {
  std::map<std::string, double> dummy;
  for (const auto& pair : data_.pairs()) dummy[pair.name] = 0;
  std::vector<std::string> names;
  for (const auto& [name, value] : Aggregates(dummy)) names.push_back(name);
  return names;
}

std::vector<std::string> Evaluator::FinalMetricNames() const {
  std::vector<std::string> names = AggregateNames();
  for (const auto& pair : data_.pairs()) names.push_back(PairMetricName(pair.name));
  return names;
}

}  // namespace florenz::train
