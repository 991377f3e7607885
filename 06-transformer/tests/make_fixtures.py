#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 06's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 06-transformer/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. Each holds, under PyTorch's own names
(which are ours):

    mha.safetensors     torch.nn.MultiheadAttention(8, 2, batch_first=True) with a causal attn_mask:
                        its parameters, input (B, T, D), output, the attention weights of every head
                        (B, H, T, T), a random weighting G of the output (doutput), and the gradients
                        of L = sum(output G): grad.input, grad.<parameter>
    block.safetensors   torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=32, dropout=0,
                        activation="gelu", batch_first=True, norm_first=True) with a causal src_mask:
                        the same items
    gpt.safetensors     a tiny GPT built from those layers (V = 11, context 8, D = 16, 2 heads,
                        2 blocks, learned positions, the head tied to the token embedding): its
                        parameters, ids (B, T) and targets (B, T) as floats, logits (B, T, V), the
                        mean cross-entropy (loss), grad.<parameter>, and adamw.losses: the loss at each
                        of 5 steps of torch.optim.AdamW(lr=1e-2) (before the step) and after the last
    gpt_untied.safetensors   the same with sinusoidal positions (position_table, the fixed table),
                        an untied head with a bias, and T = 6 < context

Every parameter is given non-default values first (LayerNorm weights near 1 instead of exactly 1,
biases that are not 0), so that a gradient wired to the wrong place cannot pass by being zero. The
stored weights and inputs are float32; outputs, gradients and losses are computed from exactly
those values in float64 and rounded once, so they are as exact as a float32 file can hold.

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import copy
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "06-transformer/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import write_safetensors  # noqa: E402 (the one writer, shared by the chapters)


def causal_mask(T):
    """True where attention is not allowed: key j after query i."""
    return torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)


def perturb(module):
    """Non-default values: LayerNorm weights 1 + 0.2 N(0, 1), every bias 0.1 N(0, 1)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "norm" in name or name.startswith("ln_f"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))


def layer_fixture(name, module, forward, x):
    """Parameters, input, output, doutput and the gradients of sum(output * doutput), in float64."""
    module64 = copy.deepcopy(module).double()
    x64 = x.double().requires_grad_()
    out, extra = forward(module64, x64)
    g = torch.randn(out.shape)
    (out * g.double()).sum().backward()
    tensors = {n: p for n, p in module.named_parameters()}
    tensors.update({"input": x, "output": out})
    tensors.update(extra)
    tensors.update({"doutput": g, "grad.input": x64.grad})
    for n, p in module64.named_parameters():
        tensors["grad." + n] = p.grad
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, GENERATOR)


def mha_fixture(seed):
    torch.manual_seed(seed)
    B, T, D, H = 2, 5, 8, 2
    mha = torch.nn.MultiheadAttention(D, H, batch_first=True)
    perturb(mha)
    x = torch.randn(B, T, D)

    def forward(m, x64):
        out, weights = m(x64, x64, x64, attn_mask=causal_mask(T), need_weights=True, average_attn_weights=False)
        return out, {"weights": weights.detach()}

    layer_fixture("mha", mha, forward, x)


def block_fixture(seed):
    torch.manual_seed(seed)
    B, T, D, H = 2, 5, 8, 2
    block = torch.nn.TransformerEncoderLayer(D, H, dim_feedforward=4 * D, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True)
    perturb(block)
    x = torch.randn(B, T, D)
    layer_fixture("block", block, lambda m, x64: (m(x64, src_mask=causal_mask(T)), {}), x)


def sinusoidal_table(context, width):
    """P[t, j] = sin(t / 10000^(2i / D)) for even j, cos for odd j, i = j // 2; float64, rounded to float32."""
    table = torch.zeros(context, width, dtype=torch.float64)
    for t in range(context):
        for j in range(width):
            angle = t / 10000.0 ** (2.0 * (j // 2) / width)
            table[t, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return table.float()


class GPT(torch.nn.Module):
    """The chapter's GPT: embeddings + positions, pre-LN blocks, final LayerNorm, head (gpt.hpp)."""

    def __init__(self, vocabulary, context, width, heads, layers, tied, positions):
        super().__init__()
        self.tied, self.learned = tied, positions == "learned"
        self.token_embedding = torch.nn.Embedding(vocabulary, width)
        if self.learned:
            self.position_embedding = torch.nn.Embedding(context, width)
        else:
            self.register_buffer("table", sinusoidal_table(context, width), persistent=False)
        self.blocks = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(width, heads, dim_feedforward=4 * width, dropout=0.0,
                                             activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers)])
        self.ln_f = torch.nn.LayerNorm(width)
        if not tied:
            self.lm_head = torch.nn.Linear(width, vocabulary)

    def forward(self, ids):
        T = ids.shape[1]
        positions = self.position_embedding.weight[:T] if self.learned else self.table[:T]
        x = self.token_embedding(ids) + positions
        for block in self.blocks:
            x = block(x, src_mask=causal_mask(T))
        x = self.ln_f(x)
        return x @ self.token_embedding.weight.t() if self.tied else self.lm_head(x)


def gpt_fixture(name, seed, tied, positions, T):
    torch.manual_seed(seed)
    V, C, D, H, L, B = 11, 8, 16, 2, 2, 3
    model = GPT(V, C, D, H, L, tied, positions)
    perturb(model)
    with torch.no_grad():
        model.token_embedding.weight.mul_(0.5)  # tied: keeps the first logits moderate
    ids = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))

    model64 = copy.deepcopy(model).double()
    logits = model64(ids)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    tensors = {n: p for n, p in model.named_parameters()}
    if not model.learned:
        tensors["position_table"] = model.table
    tensors.update({"ids": ids.float(), "targets": targets.float(), "logits": logits, "loss": loss.reshape(1)})
    for n, p in model64.named_parameters():
        tensors["grad." + n] = p.grad

    # Five AdamW steps (PyTorch's defaults but lr 1e-2), from the same starting values.
    steps64 = copy.deepcopy(model).double()
    optimizer = torch.optim.AdamW(steps64.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        step_loss = F.cross_entropy(steps64(ids).reshape(-1, V), targets.reshape(-1))
        losses.append(step_loss.item())
        step_loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(F.cross_entropy(steps64(ids).reshape(-1, V), targets.reshape(-1)).item())
    tensors["adamw.losses"] = torch.tensor(losses, dtype=torch.float64)
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mha_fixture(601)
    block_fixture(602)
    gpt_fixture("gpt", 603, tied=True, positions="learned", T=8)
    gpt_fixture("gpt_untied", 604, tied=False, positions="sinusoidal", T=6)
