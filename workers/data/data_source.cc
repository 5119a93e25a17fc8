// The pairs of a coverage matrix and DataSource's helpers (data_source.h).
#include "workers/data/data_source.h"

namespace florenz::data {

std::vector<Pair> CoveragePairs(const DataOptions& options) {
  std::vector<Pair> pairs;
  for (const auto& [task, row] : options.coverage) {
    for (const auto& [language, role] : row) {
      Pair p;
      p.task = task;
      p.role = role;
      p.name = PairName(task, language);
      for (size_t i = 0; i < options.languages.size(); ++i) {
        if (options.languages[i].name == language) p.language = static_cast<int>(i);
      }
      auto weight = options.weights.find(p.name);
      p.weight = weight == options.weights.end() ? 1.0 : weight->second;
      pairs.push_back(p);
    }
  }
  return pairs;
}

std::vector<int> DataSource::TrainedPairs() const {
  std::vector<int> trained;
  for (size_t i = 0; i < pairs().size(); ++i) {
    if (pairs()[i].role == PairRole::kTrain) trained.push_back(static_cast<int>(i));
  }
  return trained;
}

int DataSource::FindPair(Task task, const std::string& language) const {
  for (size_t i = 0; i < pairs().size(); ++i) {
    if (pairs()[i].task == task && LanguageName(pairs()[i].language) == language)
      return static_cast<int>(i);
  }
  return -1;
}

}  // namespace florenz::data
