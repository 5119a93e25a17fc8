// Synthetic data as WebDataset shards (synthetic_export.h).
#include "workers/data/shards/synthetic_export.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/errors.h"
#include "workers/data/data_generator.h"
#include "workers/data/image.h"
#include "workers/data/png_writer.h"
#include "workers/data/shards/sample_label.h"
#include "workers/data/shards/tar_file.h"

namespace florenz::data {
namespace {

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

std::string ShardName(const std::string& prefix, int64_t number) {
  char name[32];
  std::snprintf(name, sizeof(name), "-%06lld.tar", static_cast<long long>(number));
  return prefix + name;
}

}  // namespace

ExportSummary ExportSyntheticShards(const ExperimentSpec& spec, const std::string& out_dir,
                                    const ExportOptions& options) {
  const DataGenerator generator(spec);
  const DataOptions& d = generator.options();
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) throw IoError(out_dir + ": cannot create the folder: " + error.message());
  // Rendered pixels at the grid's size; symbolic grids get 32-pixel renderings of their scenes.
  const int side = d.image == ImageMode::kSymbolic ? 32 : d.image_size;
  const double noise = d.image == ImageMode::kSymbolic ? 0.05 : d.image_noise;
  const Language& english = generator.languages().front();
  const int64_t per_shard = std::max<int64_t>(1, options.scenes_per_shard);

  ExportSummary summary;
  std::unique_ptr<TarWriter> shard;
  for (int64_t i = 0; i < options.scenes; ++i) {
    if (i % per_shard == 0) {
      if (shard) shard->Close();
      summary.shards.push_back(
          (std::filesystem::path(out_dir) / ShardName(options.prefix, i / per_shard)).string());
      shard = std::make_unique<TarWriter>(summary.shards.back());
    }
    int paraphrase = 0;
    const int64_t number = options.first_scene + i;
    const Scene scene = generator.PreviewScene(number, &paraphrase);
    SampleRng render_rng(static_cast<uint64_t>(d.seed), Split::kPreview, number, 1);
    const std::string png = EncodePng(RenderImage(scene, side, noise, render_rng), side, 1);
    char scene_key[16];
    std::snprintf(scene_key, sizeof(scene_key), "%08lld", static_cast<long long>(number));
    for (const Pair& pair : generator.pairs()) {
      const Language& language = generator.languages()[pair.language];
      SampleLabel label;
      label.task = pair.task;
      label.lang = language.name();
      label.text = Join(language.Caption(scene.clauses, paraphrase));
      if (pair.task == Task::kTranslate) {
        label.src_lang = english.name();
        label.src_text = Join(english.Caption(scene.clauses, paraphrase));
      }
      const std::string key = std::string(scene_key) + "-" + pair.name;
      shard->Add(key + ".json", SampleLabelJson(label));
      if (pair.task == Task::kCaption || d.translate_with_image) shard->Add(key + ".png", png);
      ++summary.samples;
    }
  }
  if (shard) shard->Close();
  const int64_t last = summary.shards.empty() ? 0 : static_cast<int64_t>(summary.shards.size()) - 1;
  char range[48];
  std::snprintf(range, sizeof(range), "-{%06d..%06lld}.tar", 0, static_cast<long long>(last));
  summary.pattern = (std::filesystem::path(out_dir) / (options.prefix + range)).string();
  return summary;
}

}  // namespace florenz::data
