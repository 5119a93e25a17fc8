// Parameter counts and forward FLOPs of the encoder-decoder model family, computed
// analytically from a size's dimensions. workers/model checks the counts against the built
// module exactly; the scheduler and `florenz validate` use the FLOPs as cost estimates.
//
// Architecture counted (DESIGN.md, "Model"): image tokens = a linear projection (with bias)
// of F image features per token; token embedding V × d shared by encoder prompt and decoder
// input; sinusoidal positions (no parameters); pre-norm layers with LayerNorm (weight and
// bias), attention projections with bias (q, k, v, out), GELU MLP d → f → d with biases;
// a final LayerNorm per stack; the LM head tied to the embedding unless untied (no bias).
#pragma once

#include <cstdint>

#include "experiments/model_options.h"

namespace florenz {

struct DataOptions;

// Token counts of one sample, as the model sees them.
struct SequenceShape {
  int64_t image_tokens = 0;    // patches (rendered) or objects (symbolic)
  int64_t image_features = 0;  // features per image token: 3·p² pixels, or attribute width
  int64_t prompt_tokens = 0;   // <lang_L> <task> and, for translation, the source text
  int64_t target_tokens = 0;   // decoder positions
};

struct ModelCost {
  int64_t params = 0;            // every trainable parameter
  int64_t embedding_params = 0;  // token embedding, untied LM head, image projection
  int64_t non_embedding_params = 0;
  // Forward multiply-accumulates and FLOPs (2 per MAC) of one sample: every matrix product,
  // attention scores and mixing included; elementwise work (norms, softmax, GELU) not.
  double forward_macs = 0;
  double forward_flops = 0;
};

ModelCost ComputeModelCost(const ModelSize& size, const ModelOptions& model,
                           const SequenceShape& shape);

// Width of one object's attribute vector in `image: symbolic` mode: one-hot shape (10: six
// plain shapes and the two senses of two homonyms), colour (8), size (2), plus x and y.
// workers/data checks that its feature vector has this width.
constexpr int64_t kSymbolicFeatures = 22;

// A sample shape for cost estimates: the longest text of the grid, averaged over the trained
// pairs' tasks (translation adds the English source to the prompt).
SequenceShape EstimateSequenceShape(const DataOptions& data, const ModelOptions& model);

// Bytes of activations that one sample keeps for backward (float32): every layer's inputs,
// projections, MLP hidden states and attention probabilities, and the logits. A coarse upper
// estimate (it ignores recomputation and bf16), for refusing batches no machine can hold.
double ActivationBytesPerSample(const ModelSize& size, const ModelOptions& model,
                                const SequenceShape& shape);

// The most activation memory one rank's micro-batch may need (1 TiB): a batch above it cannot
// be trained on any machine florenz targets, and is refused at validation.
constexpr double kMaxActivationBytes = 1024.0 * 1024 * 1024 * 1024;

// Training FLOPs of a run: forward + backward ≈ 3 × forward, per seen sample (≈ 6·N·D).
double TrainingFlops(const ModelCost& cost, int64_t samples);

}  // namespace florenz
