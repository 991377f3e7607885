#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 04's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 04-rnn/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. For each of torch.nn.RNN, LSTM and GRU
(two layers, batch_first=True) a file holds, under PyTorch's own names:

    weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._l1   the model (PyTorch's default init)
    input (B, T, I), h0 (L, B, H), c0 (LSTM)                      what goes in
    output (B, T, H), h_n (L, B, H), c_n (LSTM)                   what comes out
    doutput, dh_n, dc_n                                           a fixed random weighting G of them
    grad.input, grad.h0, grad.c0, grad.<parameter>                the gradients of
                                                                  L = sum(output G_out) + sum(h_n G_h) + sum(c_n G_c)

and embedding.safetensors the same for torch.nn.Embedding (ids with repeats). The stored weights and
inputs are float32; the outputs and gradients are computed from exactly those values in float64 and
rounded once, so they are as exact as a float32 file can hold.

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import copy
import os
import sys

import torch

T, B, I, H, LAYERS = 5, 3, 4, 6, 2
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "04-rnn/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import write_safetensors  # noqa: E402 (the one writer, shared by the chapters)


def recurrent_fixture(kind, seed):
    torch.manual_seed(seed)
    lstm = kind == "lstm"
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    model = cls(I, H, num_layers=LAYERS, batch_first=True)  # weights U(-1/sqrt(H), 1/sqrt(H))
    x = torch.randn(B, T, I)
    h0 = 0.5 * torch.randn(LAYERS, B, H)
    c0 = 0.5 * torch.randn(LAYERS, B, H)
    g_out, g_h, g_c = torch.randn(B, T, H), torch.randn(LAYERS, B, H), torch.randn(LAYERS, B, H)

    # The reference: the same float32 values, computed in float64.
    model64 = copy.deepcopy(model).double()
    x64 = x.double().requires_grad_()
    h064 = h0.double().requires_grad_()
    c064 = c0.double().requires_grad_()
    if lstm:
        out, (h_n, c_n) = model64(x64, (h064, c064))
        loss = (out * g_out).sum() + (h_n * g_h).sum() + (c_n * g_c).sum()
    else:
        out, h_n = model64(x64, h064)
        loss = (out * g_out).sum() + (h_n * g_h).sum()
    loss.backward()

    tensors = {name: p for name, p in model.named_parameters()}
    tensors.update({"input": x, "h0": h0})
    if lstm:
        tensors["c0"] = c0
    tensors.update({"output": out, "h_n": h_n})
    if lstm:
        tensors["c_n"] = c_n
    tensors.update({"doutput": g_out, "dh_n": g_h})
    if lstm:
        tensors["dc_n"] = g_c
    tensors.update({"grad.input": x64.grad, "grad.h0": h064.grad})
    if lstm:
        tensors["grad.c0"] = c064.grad
    for name, p in model64.named_parameters():
        tensors["grad." + name] = p.grad
    write_safetensors(os.path.join(OUT, kind + ".safetensors"), tensors, GENERATOR)


def embedding_fixture(seed):
    torch.manual_seed(seed)
    emb = torch.nn.Embedding(10, 4)  # weights N(0, 1)
    ids = torch.tensor([[1, 3, 3, 0, 9], [3, 7, 1, 1, 2], [8, 3, 5, 3, 3]])  # (B, T), 3 appears six times
    emb64 = copy.deepcopy(emb).double()
    out = emb64(ids)
    g_out = torch.randn(B, T, 4)
    (out * g_out).sum().backward()
    write_safetensors(os.path.join(OUT, "embedding.safetensors"), {
        "weight": emb.weight,
        "ids": ids.to(torch.float32),  # ids travel as floats holding integers
        "output": out,
        "doutput": g_out,
        "grad.weight": emb64.weight.grad,
    }, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    recurrent_fixture("rnn", 401)
    recurrent_fixture("lstm", 402)
    recurrent_fixture("gru", 403)
    embedding_fixture(404)
