#!/usr/bin/python3
"""PyTorch baseline for bench/train_throughput_bench.cc.

The same encoder-decoder as workers/model (pre-norm, fused per-head qkv, GELU MLP, tied LM head,
sqrt(d)-scaled embeddings plus sinusoidal positions, token-mean cross-entropy per sample), the
same batches (read from the raw files the C++ benchmark wrote), the same thread count, device
and precision: on a GPU with --precision bf16, torch.autocast(bfloat16) around the forward pass
(fp32 master weights, fp32 loss reduction), F.scaled_dot_product_attention where PyTorch has
it, batches copied from pinned memory with non_blocking; --compile wraps the loss in
torch.compile (PyTorch >= 2.0). Prints one line: median_step_s=<s> peak_rss_kb=<kB>. Run with
Debian's /usr/bin/python3 (python3-torch 1.13, installed by `scripts/install-deps --bench`)
on the CPU, or the GPU node's Python with a CUDA PyTorch.
"""
import argparse
import math
import os
import resource
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--dims", required=True, help="d,enc,dec,heads,ffn,vocab,features")
    p.add_argument("--steps", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--compile", action="store_true")
    a = p.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    sdpa = cuda and hasattr(F, "scaled_dot_product_attention")

    def sync():
        if cuda:
            torch.cuda.synchronize(device)
    d, enc, dec, heads, ffn, vocab, features = (int(x) for x in a.dims.split(","))

    def load(name, dtype, shape):
        return torch.from_numpy(np.fromfile(os.path.join(a.dir, name), dtype=dtype).reshape(shape))

    batches = []
    with open(os.path.join(a.dir, "shapes.txt")) as f:
        for line in f:
            k, b, i, feat, s, t = (int(x) for x in line.split())
            batches.append(dict(
                image=load(f"b{k}.image", np.float32, (b, i, feat)),
                image_mask=load(f"b{k}.image_mask", np.uint8, (b, i)).bool(),
                prompt=load(f"b{k}.prompt", np.int64, (b, s)),
                decoder_input=load(f"b{k}.decoder_input", np.int64, (b, t)),
                target=load(f"b{k}.target", np.int64, (b, t)),
            ))

    if cuda:  # pinned, so the copies in the loop are asynchronous, as florenz's
        batches = [{key: value.pin_memory() for key, value in b.items()} for b in batches]

    def sinusoid(positions):
        inv = torch.exp(torch.arange(0, d, 2, dtype=torch.float64, device=positions.device) *
                        (-math.log(10000.0) / d))
        angle = positions.to(torch.float64).unsqueeze(-1) * inv
        return torch.stack((angle.sin(), angle.cos()), -1).flatten(-2).to(torch.float32)

    def attend(q, k, v, bias):
        if sdpa:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.size(-1)) + bias
        return scores.softmax(-1) @ v

    def merge(x):
        b, h, t, dh = x.shape
        return x.transpose(1, 2).reshape(b, t, h * dh)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)

        def forward(self, x, bias):
            b, t, _ = x.shape
            q, k, v = self.qkv(x).view(b, t, heads, -1).permute(0, 2, 1, 3).chunk(3, -1)
            return self.out(merge(attend(q, k, v, bias)))

    class CrossAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.kv, self.out = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)

        def forward(self, x, memory, bias):
            b, t, _ = x.shape
            e = memory.size(1)
            q = self.q(x).view(b, t, heads, -1).transpose(1, 2)
            k, v = self.kv(memory).view(b, e, heads, -1).permute(0, 2, 1, 3).chunk(2, -1)
            return self.out(merge(attend(q, k, v, bias)))

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.up, self.down = nn.Linear(d, ffn), nn.Linear(ffn, d)

        def forward(self, x):
            return self.down(F.gelu(self.up(x)))

    class EncoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.n1, self.att, self.n2, self.mlp = nn.LayerNorm(d), SelfAttention(), nn.LayerNorm(d), Mlp()

        def forward(self, x, bias):
            x = x + self.att(self.n1(x), bias)
            return x + self.mlp(self.n2(x))

    class DecoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.n1, self.att, self.n2 = nn.LayerNorm(d), SelfAttention(), nn.LayerNorm(d)
            self.cross, self.n3, self.mlp = CrossAttention(), nn.LayerNorm(d), Mlp()

        def forward(self, x, causal, memory, memory_bias):
            x = x + self.att(self.n1(x), causal)
            x = x + self.cross(self.n2(x), memory, memory_bias)
            return x + self.mlp(self.n3(x))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.image = nn.Linear(features, d)
            self.embedding = nn.Embedding(vocab, d)
            self.encoder = nn.ModuleList(EncoderLayer() for _ in range(enc))
            self.encoder_norm = nn.LayerNorm(d)
            self.decoder = nn.ModuleList(DecoderLayer() for _ in range(dec))
            self.decoder_norm = nn.LayerNorm(d)

        def sample_loss(self, batch):
            mask = torch.cat((batch["image_mask"], batch["prompt"] != 0), 1)
            positions = (mask.long().cumsum(1) - 1).clamp_min(0)
            x = self.embedding(batch["prompt"]) * math.sqrt(d)
            if batch["image"].size(1) > 0:
                x = torch.cat((self.image(batch["image"]), x), 1)
            x = x + sinusoid(positions)
            bias = torch.zeros(mask.shape, device=mask.device).masked_fill(
                ~mask, float("-inf"))[:, None, None, :]
            for layer in self.encoder:
                x = layer(x, bias)
            memory = self.encoder_norm(x)
            t = batch["decoder_input"].size(1)
            y = self.embedding(batch["decoder_input"]) * math.sqrt(d) + sinusoid(
                torch.arange(t, device=mask.device))
            causal = torch.full((t, t), float("-inf"), device=mask.device).triu(1)
            for layer in self.decoder:
                y = layer(y, causal, memory, bias)
            logits = (self.decoder_norm(y) @ self.embedding.weight.t()).float()  # fp32 loss
            loss = F.cross_entropy(logits.transpose(1, 2), batch["target"], ignore_index=0,
                                   reduction="none")
            tokens = (batch["target"] != 0).sum(1).clamp_min(1)
            return loss.sum(1) / tokens

    model = Model().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-8,
                                  weight_decay=0.01)
    loss_of = model.sample_loss
    warmup = 2
    if a.compile:
        loss_of = torch.compile(model.sample_loss, dynamic=True)
        warmup = 6  # compilation, and recompilation for the other batch shapes
    times = []
    for step in range(a.steps + warmup):
        batch = batches[step % len(batches)]
        sync()
        start = time.perf_counter()
        batch = {key: value.to(device, non_blocking=True) for key, value in batch.items()}
        optimizer.zero_grad(set_to_none=True)  # as florenz's trainer: gradients reset, not zeroed
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            loss = loss_of(batch).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        sync()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"median_step_s={statistics.median(times):.6f} peak_rss_kb={rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
