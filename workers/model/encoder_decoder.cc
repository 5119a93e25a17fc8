// The encoder-decoder model (encoder_decoder.h): pre-norm encoder and decoder layers built
// from parallel/ layers, sinusoidal positions, the tied or untied LM head and the per-sample
// loss through vocab-parallel cross-entropy.
#include "workers/model/encoder_decoder.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/errors.h"
#include "parallel/device_reads.h"
#include "parallel/row_parallel_linear.h"
#include "parallel/tp_mappings.h"
#include "parallel/vocab_parallel_cross_entropy.h"
#include "workers/data/vocabulary.h"
#include "workers/model/attention.h"

namespace florenz::model {

namespace {

constexpr double kInitStd = 0.02;

// GELU MLP C → ffn → C: ColumnParallel (no gather) then RowParallel (input parallel), so the
// ffn activations stay split across tp with one all-reduce at the end.
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t d, int64_t ffn, double in_std, double out_std, uint64_t seed,
          const std::string& name, const TensorParallel& tp) {
    ColumnParallelLinearOptions up;
    up.gather_output = false;
    up.init_std = in_std;
    up.seed = LayerSeed(seed, name + ".up");
    up.tp = tp;
    RowParallelLinearOptions down;
    down.input_is_parallel = true;
    down.init_std = out_std;
    down.seed = LayerSeed(seed, name + ".down");
    down.tp = tp;
    up_ = register_module("up", ColumnParallelLinear(d, ffn, up));
    down_ = register_module("down", RowParallelLinear(ffn, d, down));
  }
  torch::Tensor forward(const torch::Tensor& x) { return down_(torch::gelu(up_(x))); }

 private:
  ColumnParallelLinear up_{nullptr};
  RowParallelLinear down_{nullptr};
};
TORCH_MODULE(Mlp);

torch::nn::LayerNorm Norm(int64_t d) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}));
}

// How a layer's initialisation and attention scale with the width (ModelOptions::
// parametrization): standard, or muP with width multiplier m = d_model / base_width.
struct WidthScaling {
  double hidden_std = kInitStd;  // q, k, v, MLP up: 0.02 (muP: / sqrt(m))
  double out_factor = 1.0;       // the residual projections' GPT-2 std times this (muP: / sqrt(m))
  double query_scale = 1.0;      // muP: 1 / sqrt(m), so that scores go as 1 / dh
};

WidthScaling ScalingOf(const ModelSize& size, const ModelOptions& options) {
  WidthScaling w;
  if (options.parametrization != Parametrization::kMup) return w;
  const double m = static_cast<double>(size.d_model) / options.base_width;
  w.hidden_std = kInitStd / std::sqrt(m);
  w.out_factor = 1.0 / std::sqrt(m);
  w.query_scale = 1.0 / std::sqrt(m);
  return w;
}

AttentionOptions Attention(const ModelSize& size, const WidthScaling& w, double out_std,
                           uint64_t seed, const std::string& name, const TensorParallel& tp) {
  AttentionOptions a;
  a.d_model = size.d_model;
  a.heads = size.heads;
  a.out_init_std = out_std;
  a.qkv_init_std = w.hidden_std;
  a.query_scale = w.query_scale;
  a.seed = seed;
  a.name = name;
  a.tp = tp;
  return a;
}

}  // namespace

// x ← x + SelfAttention(LN(x)); x ← x + MLP(LN(x)).
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(const ModelSize& size, const WidthScaling& w, uint64_t seed,
                   const std::string& name, const TensorParallel& tp) {
    const double out_std = kInitStd / std::sqrt(2.0 * size.encoder_layers) * w.out_factor;
    norm1_ = register_module("norm1", Norm(size.d_model));
    attention_ = register_module(
        "attention", SelfAttention(Attention(size, w, out_std, seed, name + ".attention", tp)));
    norm2_ = register_module("norm2", Norm(size.d_model));
    mlp_ = register_module(
        "mlp", Mlp(size.d_model, size.ffn, w.hidden_std, out_std, seed, name + ".mlp", tp));
  }
  // x [B, E, C], bias [B, 1, 1, E]
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& bias) {
    x = x + attention_(norm1_(x), bias);
    return x + mlp_(norm2_(x));
  }

 private:
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  SelfAttention attention_{nullptr};
  Mlp mlp_{nullptr};
};

// x ← x + CausalSelfAttention(LN(x)); x ← x + CrossAttention(LN(x), memory);
// x ← x + MLP(LN(x)).
class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelSize& size, const WidthScaling& w, uint64_t seed,
                   const std::string& name, const TensorParallel& tp) {
    const double out_std = kInitStd / std::sqrt(2.0 * size.decoder_layers) * w.out_factor;
    norm1_ = register_module("norm1", Norm(size.d_model));
    self_attention_ = register_module(
        "self_attention",
        SelfAttention(Attention(size, w, out_std, seed, name + ".self_attention", tp)));
    norm2_ = register_module("norm2", Norm(size.d_model));
    cross_attention_ = register_module(
        "cross_attention",
        CrossAttention(Attention(size, w, out_std, seed, name + ".cross_attention", tp)));
    norm3_ = register_module("norm3", Norm(size.d_model));
    mlp_ = register_module(
        "mlp", Mlp(size.d_model, size.ffn, w.hidden_std, out_std, seed, name + ".mlp", tp));
  }
  // x [B, T, C], causal [1, 1, T, T] (undefined: the kernel masks causally), memory [B, E, C],
  // memory_bias [B, 1, 1, E]
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& causal, const torch::Tensor& memory,
                        const torch::Tensor& memory_bias) {
    x = x + self_attention_(norm1_(x), causal, /*causal=*/true);
    x = x + cross_attention_(norm2_(x), memory, memory_bias);
    return x + mlp_(norm3_(x));
  }
  // One decoding step of forward(): x [B, 1, C] is the newest position; `self` grows by it.
  torch::Tensor Step(torch::Tensor x, KeyValue* self, const KeyValue& memory,
                     const torch::Tensor& memory_bias) {
    x = x + self_attention_->Step(norm1_(x), self);
    x = x + cross_attention_->Attend(norm2_(x), memory, memory_bias);
    return x + mlp_(norm3_(x));
  }
  KeyValue MemoryKeyValue(const torch::Tensor& memory) {
    return cross_attention_->MemoryKeyValue(memory);
  }

 private:
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  SelfAttention self_attention_{nullptr};
  CrossAttention cross_attention_{nullptr};
  Mlp mlp_{nullptr};
};

EncoderDecoderImpl::EncoderDecoderImpl(const ModelSize& size, const ModelOptions& options,
                                       int64_t image_features, uint64_t seed)
    : EncoderDecoderImpl(size, options, image_features, seed, TensorParallel{}) {}

EncoderDecoderImpl::EncoderDecoderImpl(const ModelSize& size, const ModelOptions& options,
                                       int64_t image_features, uint64_t seed,
                                       const TensorParallel& tp)
    : d_model_(size.d_model),
      // muP: the embedding's multiplier and the logits' stay those of the base width.
      embedding_scale_(std::sqrt(static_cast<double>(
          options.parametrization == Parametrization::kMup ? options.base_width : size.d_model))),
      logit_scale_(options.parametrization == Parametrization::kMup
                       ? static_cast<double>(options.base_width) / size.d_model
                       : 1.0),
      tp_(tp) {
  RequireCommunicator(tp, "EncoderDecoder");
  if (size.d_model <= 0 || size.heads <= 0 || size.d_model % size.heads != 0 ||
      size.d_model % 2 != 0) {
    throw RunError("model size '" + size.name + "': d_model " + std::to_string(size.d_model) +
                   " must be even and divisible by heads " + std::to_string(size.heads));
  }
  ColumnParallelLinearOptions image;
  image.gather_output = true;  // image tokens are full-width residual inputs
  image.seed = LayerSeed(seed, "image_projection");
  image.tp = tp;
  image_projection_ = register_module("image_projection",
                                      ColumnParallelLinear(image_features, size.d_model, image));
  VocabParallelEmbeddingOptions embedding;
  embedding.init_std = kInitStd;
  embedding.seed = LayerSeed(seed, "embedding");
  embedding.tp = tp;
  embedding_ = register_module("embedding",
                               VocabParallelEmbedding(options.vocab_size, size.d_model, embedding));
  const WidthScaling scaling = ScalingOf(size, options);
  // Layers are children of ModuleLists, so parameters read "encoder.0.attention.qkv.weight".
  auto encoder = register_module("encoder", torch::nn::ModuleList());
  for (int i = 0; i < size.encoder_layers; ++i) {
    encoder_.push_back(std::make_shared<EncoderLayerImpl>(size, scaling, seed,
                                                          "encoder." + std::to_string(i), tp));
    encoder->push_back(encoder_.back());
  }
  encoder_norm_ = register_module("encoder_norm", Norm(size.d_model));
  auto decoder = register_module("decoder", torch::nn::ModuleList());
  for (int i = 0; i < size.decoder_layers; ++i) {
    decoder_.push_back(std::make_shared<DecoderLayerImpl>(size, scaling, seed,
                                                          "decoder." + std::to_string(i), tp));
    decoder->push_back(decoder_.back());
  }
  decoder_norm_ = register_module("decoder_norm", Norm(size.d_model));
  if (!options.tie_embeddings) {
    ColumnParallelLinearOptions head;
    head.bias = false;
    head.gather_output = false;  // vocab-parallel logits go straight to vocab-parallel CE
    head.seed = LayerSeed(seed, "lm_head");
    head.tp = tp;
    lm_head_ =
        register_module("lm_head", ColumnParallelLinear(size.d_model, options.vocab_size, head));
  }
}

torch::Tensor EncoderDecoderImpl::Positions(const torch::Tensor& positions, int64_t bound) {
  const int64_t needed = std::max<int64_t>(bound, 1);
  if (!position_table_.defined() || position_table_.size(0) < needed) {
    // PE[pos, 2i] = sin(pos / 10000^(2i/C)), PE[pos, 2i+1] = cos(pos / 10000^(2i/C))
    const int64_t rows = std::max<int64_t>(needed, 64);
    torch::Tensor pos = torch::arange(rows, torch::kFloat64).unsqueeze(1);
    torch::Tensor inv = torch::exp(torch::arange(0, d_model_, 2, torch::kFloat64) *
                                   (-std::log(10000.0) / d_model_));
    torch::Tensor angle = pos * inv;  // [L, C/2]
    position_table_ =
        torch::stack({angle.sin(), angle.cos()}, -1).view({rows, d_model_}).to(torch::kFloat32);
  }
  // Computed on the CPU in float64 (the same table on every device), kept where it is used.
  if (position_table_.device() != positions.device()) {
    position_table_ = position_table_.to(positions.device());
  }
  return torch::embedding(position_table_, positions);
}

std::pair<torch::Tensor, torch::Tensor> EncoderDecoderImpl::Encode(
    const Batch& batch, std::vector<torch::Tensor>* trace) {
  torch::Tensor mask = torch::cat(
      {batch.image_mask.to(torch::kBool), batch.prompt != data::Vocabulary::kPad}, 1);  // [B, E]
  // Real tokens take consecutive positions; padding does not shift them.
  torch::Tensor positions = (mask.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);  // [B, E]
  // Positions are below the most real tokens of a sample, which Collate knew on the host; a
  // hand-built batch pays one device read for it.
  const int64_t bound = batch.max_encoder_tokens >= 0 ? batch.max_encoder_tokens
                        : positions.numel() == 0      ? 0
                                                      : ReadInt64(positions.max()) + 1;
  torch::Tensor prompt = embedding_(batch.prompt) * embedding_scale_;
  torch::Tensor x = batch.image.size(1) > 0
                        ? torch::cat({image_projection_(batch.image), prompt}, 1)
                        : prompt;  // [B, E, C]
  x = x + Positions(positions, bound);
  // Converted once for every layer's attention kernel (bfloat16 under CUDA autocast).
  const torch::Tensor bias =
      ForAttentionKernels(AttentionBias(mask, x.size(1), /*causal=*/false));  // [B, 1, 1, E]
  if (trace != nullptr) trace->push_back(x);
  for (auto& layer : encoder_) {
    x = layer->forward(x, bias);
    if (trace != nullptr) trace->push_back(x);
  }
  return {encoder_norm_(x), mask};
}

torch::Tensor EncoderDecoderImpl::Decode(const torch::Tensor& decoder_input,
                                         const torch::Tensor& memory,
                                         const torch::Tensor& memory_mask) {
  // This rank's logits [B, T, V/p], never gathered.
  return LocalLogits(DecoderStates(decoder_input, memory, memory_mask));
}

torch::Tensor EncoderDecoderImpl::DecoderStates(const torch::Tensor& decoder_input,
                                                const torch::Tensor& memory,
                                                const torch::Tensor& memory_mask,
                                                std::vector<torch::Tensor>* trace) {
  const int64_t t = decoder_input.size(1);
  torch::Tensor x = embedding_(decoder_input) * embedding_scale_ +
                    Positions(torch::arange(t, decoder_input.options()), t);  // [B, T, C]
  // Self-attention is causal and unmasked otherwise: the decoder's padding is at the end of
  // each row, so a real position never sees a padded one, and a padded position's output
  // reaches no counted loss (SampleLoss takes logits at the real targets only). Where the
  // kernel applies causality itself there is no bias to build.
  const torch::Tensor causal = CausalAttentionKernel(decoder_input.device())
                                   ? torch::Tensor()
                                   : CausalBias(t, decoder_input.device());  // [1, 1, T, T]
  const torch::Tensor memory_bias =
      ForAttentionKernels(AttentionBias(memory_mask, t, /*causal=*/false));  // [B, 1, 1, E]
  if (trace != nullptr) trace->push_back(x);
  for (auto& layer : decoder_) {
    x = layer->forward(x, causal, memory, memory_bias);
    if (trace != nullptr) trace->push_back(x);
  }
  return decoder_norm_(x);
}

void DecoderCache::Select(const torch::Tensor& index) {
  for (KeyValue& kv : self) kv.Select(index);
  for (KeyValue& kv : cross) kv.Select(index);
  memory_bias = memory_bias.index_select(0, index);
}

DecoderCache EncoderDecoderImpl::StartDecoding(const torch::Tensor& memory,
                                               const torch::Tensor& memory_mask) {
  DecoderCache cache;
  cache.self.resize(decoder_.size());
  for (auto& layer : decoder_) cache.cross.push_back(layer->MemoryKeyValue(memory));
  cache.memory_bias =
      ForAttentionKernels(AttentionBias(memory_mask, 1, /*causal=*/false));  // [B, 1, 1, E]
  return cache;
}

torch::Tensor EncoderDecoderImpl::DecodeStep(const torch::Tensor& token_ids, DecoderCache* cache) {
  const torch::Tensor position = torch::full({1}, cache->length, token_ids.options());
  torch::Tensor x = embedding_(token_ids.view({-1, 1})) * embedding_scale_ +
                    Positions(position, cache->length + 1);  // [B, 1, C]
  for (size_t i = 0; i < decoder_.size(); ++i) {
    x = decoder_[i]->Step(x, &cache->self[i], cache->cross[i], cache->memory_bias);
  }
  ++cache->length;
  // Generation chooses among the whole vocabulary: gather the slices [B, V/p] → [B, V].
  return GatherFromTpRegion(LocalLogits(decoder_norm_(x)).squeeze(1), tp_);
}

torch::Device EncoderDecoderImpl::device() const { return embedding_->weight.device(); }

torch::Tensor EncoderDecoderImpl::LocalLogits(const torch::Tensor& hidden) {
  const torch::Tensor logits = lm_head_ ? lm_head_(hidden) : embedding_->Logits(hidden);
  return logit_scale_ == 1.0 ? logits : logits * logit_scale_;
}

std::vector<torch::Tensor> EncoderDecoderImpl::Coordinates(const Batch& batch) {
  std::vector<torch::Tensor> trace;
  auto [memory, mask] = Encode(batch, &trace);
  trace.push_back(LocalLogits(DecoderStates(batch.decoder_input, memory, mask, &trace)));
  return trace;
}

torch::Tensor EncoderDecoderImpl::forward(const Batch& batch) {
  auto [memory, mask] = Encode(batch);
  return Decode(batch.decoder_input, memory, mask);
}

torch::Tensor EncoderDecoderImpl::SampleLoss(const Batch& batch) {
  auto [memory, mask] = Encode(batch);
  const torch::Tensor hidden = DecoderStates(batch.decoder_input, memory, mask);  // [B, T, C]
  // Logits and cross-entropy only at the N positions with a real target: a <pad> target adds
  // exactly 0 to the loss and its gradient, so skipping them changes no value, only the work
  // of the LM head's matrix product and of the log-softmax.
  const torch::Tensor target = batch.target.reshape({-1});  // [B·T]
  // The rows Collate computed on the host; a hand-built batch's targets are read back for them.
  const torch::Tensor rows =
      batch.target_rows.defined()
          ? batch.target_rows
          : TargetRows(ReadToHost(batch.target)).to(batch.target.device());  // [N]
  // In float32 whatever the matmuls ran in (bf16 autocast): the loss is reduced in fp32.
  const torch::Tensor logits = LocalLogits(hidden.reshape({-1, d_model_}).index_select(0, rows))
                                   .to(torch::kFloat32);  // [N, V/p]
  const torch::Tensor real = VocabParallelCrossEntropy(logits, target.index_select(0, rows), tp_,
                                                       data::Vocabulary::kPad);  // [N]
  const torch::Tensor loss = torch::zeros({target.size(0)}, real.options())
                                 .index_add(0, rows, real)
                                 .view(batch.target.sizes());  // [B, T], 0 at <pad>
  torch::Tensor tokens = (batch.target != data::Vocabulary::kPad).sum(1).clamp_min(1);
  return loss.sum(1) / tokens.to(loss.scalar_type());  // [B]
}

}  // namespace florenz::model
