#!/usr/bin/python3
"""The peer for the GPT benchmark: chapter 06's gpt, trained the same way in PyTorch.

Same text (the cleaned fortunes split that `build/06-transformer/gpt --write-split DIR` writes to
DIR/train.txt and DIR/validation.txt), same vocabulary (the training text's characters, sorted;
validation characters outside it are left out), same windows (T + 1 characters, consecutive windows
overlapping by one), same model (token embedding + learned positions, N pre-LN blocks of
torch.nn.TransformerEncoderLayer with GELU, 4D hidden and a causal mask, a final LayerNorm, the head
tied to the token embedding: the layers 06's tests match one to one), same initialization (GPT-2's:
N(0, 0.02^2), the residual projections N(0, (0.02 / sqrt(2N))^2), biases 0), batch 32, AdamW
(lr 3e-3, weight decay 0.01), the global gradient norm clipped to 1, shuffled every epoch, and the same
schedule: a linear warm-up, then a cosine to 0 over the steps the time budget is projected to hold
(steps so far x budget / time spent). Same budget: --minutes of wall time from the first step, the
periodic evaluations included (every 100 steps, on 256 evenly spaced validation windows), which are
left out of tokens per second. Ends with one line:

    result: peer=pytorch threads=N tokens_per_second=... val_bits_per_char=... val_loss=... peak_rss_mb=... steps=...

Run by bench/run (./dlfs bench), with Debian's python3-torch:
    /usr/bin/python3 bench/gpt_torch.py --split DIR --minutes 3 --threads 1
"""
import argparse
import math
import os
import resource
import time

import torch


class GPT(torch.nn.Module):
    def __init__(self, vocabulary, context, width, heads, layers):
        super().__init__()
        self.token_embedding = torch.nn.Embedding(vocabulary, width)
        self.position_embedding = torch.nn.Embedding(context, width)
        self.blocks = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(width, heads, dim_feedforward=4 * width, dropout=0.0,
                                             activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(width)
        self.register_buffer("mask", torch.triu(torch.ones(context, context, dtype=torch.bool), diagonal=1))
        # GPT-2's initialization, as gpt.hpp's.
        with torch.no_grad():
            self.token_embedding.weight.normal_(0.0, 0.02)
            self.position_embedding.weight.normal_(0.0, 0.02)
            for block in self.blocks:
                block.self_attn.in_proj_weight.normal_(0.0, 0.02)
                block.linear1.weight.normal_(0.0, 0.02)
                for residual in (block.self_attn.out_proj.weight, block.linear2.weight):
                    residual.normal_(0.0, 0.02 / math.sqrt(2 * layers))
                for bias in (block.self_attn.in_proj_bias, block.self_attn.out_proj.bias, block.linear1.bias,
                             block.linear2.bias):
                    bias.zero_()

    def forward(self, ids):  # (B, T) -> (B, T, V)
        T = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding.weight[:T]
        for block in self.blocks:
            x = block(x, src_mask=self.mask[:T, :T])
        return self.ln_f(x) @ self.token_embedding.weight.t()


def windows(ids, steps):
    """(N, T) inputs and (N, T) labels: window i reads ids[i T : i T + T] and predicts the next."""
    count = (len(ids) - 1) // steps
    ids = torch.tensor(ids[:count * steps + 1], dtype=torch.int64)
    return ids[:-1].view(count, steps), ids[1:].view(count, steps)


def mean_loss(model, inputs, labels, batch=64):
    """Cross-entropy in nats per character over the given windows."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(inputs), batch):
            logits = model(inputs[i:i + batch])
            total += float(torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), labels[i:i + batch].reshape(-1), reduction="sum"))
    model.train()
    return total / labels.numel()


def learning_rate(step, peak, warmup, total):
    """Chapter 07's warmup_cosine_schedule: (step + 1) / W of the peak, then a cosine to 0."""
    warmup = min(warmup, total // 10)
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * 0.5 * (1.0 + math.cos(math.pi * t))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", required=True, help="directory holding train.txt and validation.txt")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-windows", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    texts = {}
    for name in ("train", "validation"):
        path = os.path.join(args.split, name + ".txt")
        with open(path, encoding="utf-8") as f:
            texts[name] = f.read()
        if not texts[name]:
            raise SystemExit(f"{path}: empty")
    alphabet = sorted(set(texts["train"]))
    index = {c: i for i, c in enumerate(alphabet)}
    T = args.context
    train_x, train_y = windows([index[c] for c in texts["train"]], T)
    val_x, val_y = windows([index[c] for c in texts["validation"] if c in index], T)
    sample = [k * len(val_x) // args.eval_windows for k in range(min(args.eval_windows, len(val_x)))]
    sample_x, sample_y = val_x[sample], val_y[sample]
    vocabulary = len(alphabet)
    print(f"training {train_x.numel():,} characters in {len(train_x)} windows, validation {len(val_x)} windows, "
          f"vocabulary {vocabulary}", flush=True)

    model = GPT(vocabulary, T, args.width, args.heads, args.layers)
    adamw = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    step, eval_seconds, budget = 0, 0.0, args.minutes * 60.0
    start = time.perf_counter()
    done = budget <= 0
    while not done:
        order = torch.randperm(len(train_x))
        for b in range(0, len(order), args.batch):
            elapsed = time.perf_counter() - start
            total = max(step + 1, int(step * budget / elapsed)) if step > 0 else 1 << 62
            for group in adamw.param_groups:
                group["lr"] = learning_rate(step, args.lr, args.warmup, total)
            idx = order[b:b + args.batch]
            logits = model(train_x[idx])  # (B, T, V)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocabulary), train_y[idx].reshape(-1))
            adamw.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            adamw.step()
            step += 1
            if step % args.eval_every == 0:
                eval_start = time.perf_counter()
                val = mean_loss(model, sample_x, sample_y)
                eval_seconds += time.perf_counter() - eval_start
                seconds = time.perf_counter() - start
                print(f"step {step:5d}  {seconds:5.0f}s  train_loss {float(loss):.4f}  val_loss {val:.4f}  "
                      f"val_bits_per_char {val / math.log(2):.3f}  "
                      f"({step * args.batch * T / (seconds - eval_seconds):.0f} tokens/s)", flush=True)
            if time.perf_counter() - start > budget:
                done = True
                break
    train_seconds = time.perf_counter() - start - eval_seconds

    val = mean_loss(model, val_x, val_y)
    tokens = step * args.batch * T
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    print(f"result: peer=pytorch threads={args.threads} "
          f"tokens_per_second={tokens / train_seconds if train_seconds > 0 else 0:.0f} "
          f"val_bits_per_char={val / math.log(2):.4f} val_loss={val:.4f} peak_rss_mb={peak_rss_mb:.1f} steps={step}")


if __name__ == "__main__":
    main()
