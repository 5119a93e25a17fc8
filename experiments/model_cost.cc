// Analytic parameter and FLOP counts of the encoder-decoder family (see model_cost.h).
#include "experiments/model_cost.h"

#include "experiments/data_options.h"

namespace florenz {

ModelCost ComputeModelCost(const ModelSize& size, const ModelOptions& model,
                           const SequenceShape& shape) {
  const int64_t d = size.d_model, f = size.ffn, v = model.vocab_size;
  const int64_t layer_norm = 2 * d;
  const int64_t attention = 4 * d * d + 4 * d;  // q, k, v, out projections with bias
  const int64_t mlp = 2 * d * f + f + d;
  const int64_t encoder_layer = 2 * layer_norm + attention + mlp;
  const int64_t decoder_layer = 3 * layer_norm + 2 * attention + mlp;

  ModelCost cost;
  cost.non_embedding_params =
      size.encoder_layers * encoder_layer + size.decoder_layers * decoder_layer + 2 * layer_norm;
  cost.embedding_params = v * d + (model.tie_embeddings ? 0 : v * d) + shape.image_features * d + d;
  cost.params = cost.embedding_params + cost.non_embedding_params;

  // Multiply-accumulates of one forward pass. E = encoder tokens, T = decoder tokens.
  const double e = static_cast<double>(shape.image_tokens + shape.prompt_tokens);
  const double t = static_cast<double>(shape.target_tokens);
  const double dd = static_cast<double>(d), ff = static_cast<double>(f);
  const double image = static_cast<double>(shape.image_tokens * shape.image_features) * dd;
  const double encoder = e * (4 * dd * dd + 2 * dd * ff) + 2 * e * e * dd;
  const double decoder = t * (4 * dd * dd + 2 * dd * ff)      // self-attention projections, MLP
                         + 2 * t * t * dd                     // self-attention scores and mixing
                         + 2 * t * dd * dd + 2 * e * dd * dd  // cross q, out; cross k, v
                         + 2 * t * e * dd;                    // cross-attention scores and mixing
  const double head = t * dd * static_cast<double>(v);
  cost.forward_macs = image + size.encoder_layers * encoder + size.decoder_layers * decoder + head;
  cost.forward_flops = 2 * cost.forward_macs;
  return cost;
}

SequenceShape EstimateSequenceShape(const DataOptions& data, const ModelOptions& model) {
  SequenceShape shape;
  if (data.image == ImageMode::kRendered || data.image == ImageMode::kPixels) {
    const int64_t side = model.patch_size > 0 ? data.image_size / model.patch_size : 0;
    shape.image_tokens = side * side;
    shape.image_features = 3LL * model.patch_size * model.patch_size;
  } else if (data.image == ImageMode::kFeatures) {
    shape.image_tokens = data.feature_shape.size() == 2 ? data.feature_shape[0] : 0;
    shape.image_features = data.feature_shape.size() == 2 ? data.feature_shape[1] : 0;
  } else {
    shape.image_tokens = data.max_objects;
    shape.image_features = kSymbolicFeatures;
  }
  int trained = 0, translate = 0;
  for (const auto& [task, languages] : data.coverage) {
    for (const auto& [language, role] : languages) {
      if (role != PairRole::kTrain) continue;
      ++trained;
      if (task == Task::kTranslate) ++translate;
    }
  }
  const double translate_share = trained > 0 ? static_cast<double>(translate) / trained : 0;
  shape.prompt_tokens = 2 + static_cast<int64_t>(translate_share * data.max_caption_tokens + 0.5);
  shape.target_tokens = data.max_caption_tokens;
  return shape;
}

double TrainingFlops(const ModelCost& cost, int64_t samples) {
  return 3.0 * cost.forward_flops * static_cast<double>(samples);
}

double ActivationBytesPerSample(const ModelSize& size, const ModelOptions& model,
                                const SequenceShape& shape) {
  const double d = size.d_model, f = size.ffn, h = size.heads;
  const double e = static_cast<double>(shape.image_tokens + shape.prompt_tokens);
  const double t = static_cast<double>(shape.target_tokens);
  // Per token and layer: the residual input, two norms, q k v and the attention output (≈ 8·d),
  // the MLP's hidden state before and after GELU (2·f); per layer the attention probabilities.
  const double encoder = size.encoder_layers * (e * (8 * d + 2 * f) + h * e * e);
  const double decoder =
      size.decoder_layers * (t * (12 * d + 2 * f) + h * (t * t + t * e) + e * 2 * d);
  const double logits = 2.0 * t * static_cast<double>(model.vocab_size);
  return 4.0 * (encoder + decoder + logits);
}

}  // namespace florenz
