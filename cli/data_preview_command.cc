// `florenz data preview` (see data_preview_command.h).
#include "cli/data_preview_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/data_command.h"
#include "core/errors.h"
#include "core/exit_codes.h"
#include "experiments/durable_write.h"
#include "experiments/grid_loader.h"
#include "workers/data/data_check.h"
#include "workers/data/data_generator.h"
#include "workers/data/image.h"
#include "workers/data/png_writer.h"

namespace florenz {
namespace {

std::string Join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::string Tokens(const data::Vocabulary& v, const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) s += (s.empty() ? "" : " ") + v.Token(id);
  return s;
}

std::string DescribeObject(const data::Attributes& a) {
  std::string shape = data::ShapeName(a.shape);
  if (a.shape == data::Shape::kBowRibbon) shape = "bow (ribbon)";
  if (a.shape == data::Shape::kBowArc) shape = "bow (archer's)";
  if (a.shape == data::Shape::kBatAnimal) shape = "bat (animal)";
  if (a.shape == data::Shape::kBatClub) shape = "bat (club)";
  return std::string(data::SizeName(a.size)) + " " + data::ColourName(a.colour) + " " + shape;
}

std::string DescribeGraph(const data::Scene& scene) {
  std::string s;
  for (const auto& c : scene.clauses) {
    if (!s.empty()) s += "; ";
    if (c.kind == data::Clause::Kind::kGroup) {
      s += std::to_string(c.count) + " × " + DescribeObject(c.first);
    } else {
      s += DescribeObject(c.first) + " *" + data::RelationName(c.relation) + "* " +
           DescribeObject(c.second);
    }
  }
  return s;
}

}  // namespace

CLI::App* AddDataPreviewCommand(CLI::App& app, DataPreviewCommand* preview) {
  CLI::App* command = DataCommand(app)->add_subcommand(
      "preview",
      "Write N sample images as PNG and DIR/samples.md: each image's caption in every "
      "language, the training examples it yields under the grid's coverage, and the "
      "evaluation-only pairs.");
  command->add_option("grid", preview->grid, "Grid YAML file")->required();
  command->add_option("--count", preview->count, "Number of samples")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command->add_option("--out", preview->out, "Output folder (created)")->required();
  return command;
}

int RunDataPreviewCommand(const DataPreviewCommand& options) {
  const LoadedGrid grid = LoadGrid(options.grid, data::CheckDataSpec);
  if (grid.spec.data.source == DataSourceKind::kShards) {
    throw ConfigError(SourceLocation{options.grid, 0, 0},
                      "data preview draws florenz's synthetic scenes; for a corpus of shards use "
                      "`florenz data inspect " +
                          grid.spec.data.train + " --grid " + options.grid + "`");
  }
  const data::DataGenerator generator(grid.spec);
  const DataOptions& d = generator.options();
  std::error_code error;
  std::filesystem::create_directories(options.out, error);
  if (error) throw IoError(options.out + ": cannot create the folder: " + error.message());

  const data::Vocabulary& v = generator.vocabulary();
  std::ostringstream md;
  md << "# Data preview: " << grid.spec.experiment.name << "\n\n"
     << "Grid `" << options.grid << "`: " << ToString(d.image) << " images"
     << (d.image == ImageMode::kSymbolic
             ? " (the model sees one noisy attribute vector per object; the pictures below "
               "are renderings of the same scenes)"
             : "")
     << ", " << d.languages.size() << " languages, vocabulary of " << v.size() << " tokens.\n\n";
  // Previews are drawn larger than the model's input so that a person can see them.
  const int side = std::max(d.image_size, 64);
  // In symbolic mode image_noise applies to attribute vectors, not pixels.
  const double noise = d.image == ImageMode::kSymbolic ? 0.05 : d.image_noise;
  for (int i = 0; i < options.count; ++i) {
    int paraphrase = 0;
    const data::Scene scene = generator.PreviewScene(i, &paraphrase);
    data::SampleRng render_rng(static_cast<uint64_t>(d.seed), data::Split::kPreview, i, 1);
    char name[32];
    std::snprintf(name, sizeof(name), "sample-%03d.png", i + 1);
    data::WritePng(std::filesystem::path(options.out) / name,
                   data::RenderImage(scene, side, noise, render_rng), side, 4);
    md << "## Sample " << i + 1 << "\n\n![sample " << i + 1 << "](" << name << ")\n\n"
       << "Scene: " << DescribeGraph(scene) << " (paraphrase pattern " << paraphrase << ")\n\n"
       << "| language | caption |\n|---|---|\n";
    for (const auto& language : generator.languages()) {
      md << "| " << language.name() << " | " << Join(language.Caption(scene.clauses, paraphrase))
         << " |\n";
    }
    md << "\nTraining examples this scene yields under the grid's coverage "
          "(encoder prompt → decoder target):\n\n";
    std::string eval_only;
    for (size_t p = 0; p < generator.pairs().size(); ++p) {
      const data::Pair& pair = generator.pairs()[p];
      const data::Language& language = generator.languages()[pair.language];
      std::vector<int32_t> prompt{
          v.LanguageToken(pair.language),
          pair.task == Task::kCaption ? data::Vocabulary::kCaption : data::Vocabulary::kTranslate};
      if (pair.task == Task::kTranslate) {
        const auto source = v.Encode(generator.languages()[0].Caption(scene.clauses, paraphrase));
        prompt.insert(prompt.end(), source.begin(), source.end());
      }
      const std::string line =
          "- `" + pair.name +
          "`: " + (pair.task == Task::kTranslate && !d.translate_with_image ? "" : "[image] ") +
          "`" + Tokens(v, prompt) + "` → `" + Join(language.Caption(scene.clauses, paraphrase)) +
          "`\n";
      if (pair.role == PairRole::kTrain) {
        md << line;
      } else {
        eval_only += line + "  (decoder prefix for this pair: `" + Join(language.Prefix()) + "`)\n";
      }
    }
    if (!eval_only.empty()) {
      md << "\nEvaluation-only pairs (never trained; what the study asks about):\n\n" << eval_only;
    }
    md << "\n";
  }
  const auto samples = std::filesystem::path(options.out) / "samples.md";
  WriteFileAtomically(samples, md.str());  // not through a link, never half written
  std::cout << "wrote " << options.count << " images and " << samples.string() << "\n";
  return kExitOk;
}

}  // namespace florenz
