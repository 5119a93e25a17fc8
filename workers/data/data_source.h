// DataSource: where a run's examples come from (DESIGN.md, "Data"). Two sources stand behind
// it: the synthetic generator (data_generator.h, the default) and the user's own corpus of
// WebDataset shards (shards/shard_source.h). Either way a training example is a pure function of
// the run's seed and the sample's position in the run's stream, and an evaluation example of
// its pair and index, so every rank, every resumed run and every retry sees the same samples.
// The trainer and the evaluator see only this interface; what needs one source's ground truth
// (scene graphs, homonyms; a corpus's reference texts) asks for that source by name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "experiments/experiment_spec.h"
#include "workers/data/scene.h"

namespace florenz::data {

class DataGenerator;
class ShardSource;

// A (task, language) pair of the coverage matrix.
struct Pair {
  Task task = Task::kCaption;
  int language = 0;  // index into data.languages
  PairRole role = PairRole::kTrain;
  double weight = 1.0;  // sampling weight (trained pairs of synthetic data)
  std::string name;     // "caption_es"
};

// One example as the model sees it.
struct Example {
  int pair = -1;  // index into pairs(); -1 outside the coverage matrix
  Scene scene;    // synthetic data only
  int paraphrase = 0;
  // Rendered or decoded image (3 × S × S, CHW, 0-1), symbolic objects (n × SymbolicFeatureSize())
  // or precomputed features (tokens × dim); empty for a translation without the image.
  std::vector<float> image;
  int image_tokens = 0;
  // Encoder prompt: <lang_L> <task> and, for translation, the source text.
  std::vector<int32_t> prompt;
  // Decoder target: the caption in L, then <eos>. The decoder reads <bos> + target[:-1].
  std::vector<int32_t> target;
  // The first `prefix_tokens` target tokens are L's decoder prefix ("the image shows").
  int prefix_tokens = 0;
  // Where a corpus sample came from ("SHARD:KEY"); empty for synthetic data.
  std::string where;
};

// The pairs of `options.coverage`, in its order, with their weights.
std::vector<Pair> CoveragePairs(const DataOptions& options);

class DataSource {
 public:
  virtual ~DataSource() = default;

  // The grid's pairs, in coverage order.
  virtual const std::vector<Pair>& pairs() const = 0;
  // The name of language `language` (an index into data.languages).
  virtual const std::string& LanguageName(int language) const = 0;
  // Sample `index` of the training stream of a run with seed `run_seed`.
  virtual Example TrainExample(int64_t run_seed, int64_t index) const = 0;
  // The size of pair `pair`'s evaluation set when the grid asks for `wanted` samples: `wanted`
  // for synthetic data, at most the samples a corpus has.
  virtual int64_t EvalSetSize(int pair, int64_t wanted) const { return wanted; }
  // Sample `index` (< EvalSetSize) of pair `pair`'s fixed evaluation set.
  virtual Example EvalExample(int pair, int64_t index) const = 0;

  // Facts a run's file records about its data (/config): numbers and strings.
  virtual void DescribeRun(int64_t run_seed, int64_t samples,
                           std::vector<std::pair<std::string, double>>* numbers,
                           std::vector<std::pair<std::string, std::string>>* strings) const {}

  // Bad samples skipped so far by this process's TrainExample calls (data.on_bad_sample: skip).
  virtual int64_t BadSamplesSkipped() const { return 0; }

  // The synthetic generator, when this source is it; else null.
  virtual const DataGenerator* synthetic() const { return nullptr; }
  // The corpus of shards, when this source is it; else null.
  virtual const ShardSource* corpus() const { return nullptr; }

  // Indices of the trained pairs.
  std::vector<int> TrainedPairs() const;
  // -1 when absent.
  int FindPair(Task task, const std::string& language) const;
};

}  // namespace florenz::data
