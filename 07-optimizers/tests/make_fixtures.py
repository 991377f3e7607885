#!/usr/bin/python3
"""Writes the PyTorch fixtures that chapter 07's tests compare against (tests/fixtures/*.safetensors).

Run it with Debian's Python and PyTorch (apt-get install -y python3-torch):

    /usr/bin/python3 07-optimizers/tests/make_fixtures.py

The files are committed, so the tests never need PyTorch. The inputs are float32; PyTorch computes
from exactly those values in float64, and the results are rounded to float32 once.

  optimizers   theta0 (2, 3) and grad<k> for k = 0, 1, 2 (columns on the scales 0.01, 1 and 100,
               as tests/optimizer_steps.hpp draws them, so adaptive rates have something to adapt
               to); for every configuration below, <name>.step<k>: the parameter after torch.optim
               has taken steps 0..k with p.grad = grad0, ..., grad<k>.
                 sgd_momentum      SGD(lr=0.1, momentum=0.9, weight_decay=0.01)
                 sgd_nesterov      SGD(lr=0.1, momentum=0.9, nesterov=True)
                 adagrad           Adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1)
                 rmsprop           RMSprop(lr=0.01)
                 rmsprop_centered  RMSprop(lr=0.001, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.01)
                 adam              Adam(lr=0.01, weight_decay=0.01)           (L2: the decay in the gradient)
                 adamw             AdamW(lr=0.01, weight_decay=0.01)          (decoupled)
  losses       for each loss, <name>.input, <name>.target, <name>.loss (shape (1,)) and <name>.grad
               (dL/dinput), reduction 'mean' throughout:
                 mae        L1Loss on (4, 3)
                 huber      HuberLoss(delta=1.0) on (4, 3), residuals on both sides of delta
                 bce        BCEWithLogitsLoss on logits (4, 3) against soft targets in [0, 1]
                 cce        NLLLoss on log p: probabilities (4, 5) against one-hot targets (stored
                            one-hot, as categorical_cross_entropy takes them)
                 hinge      MultiMarginLoss(p=1, margin=1) on logits (5, 4); target holds the labels as floats

The files are safetensors, written by tests/support/safetensors_fixture.py (the one writer the
chapters' fixture scripts share; the `safetensors` package is not in Debian).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
GENERATOR = "07-optimizers/tests/make_fixtures.py"
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
from safetensors_fixture import write_safetensors  # noqa: E402 (the one writer, shared by the chapters)

OPTIMIZERS = {
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.1, weight_decay=0.01,
                                             initial_accumulator_value=0.1),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered": lambda p: torch.optim.RMSprop(p, lr=0.001, alpha=0.9, momentum=0.8, centered=True,
                                                      weight_decay=0.01),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01),
}


def optimizers_fixture(seed):
    torch.manual_seed(seed)
    theta0 = torch.randn(2, 3)
    grads = []
    for _ in range(3):
        g = torch.randn(2, 3)
        g[:, 0] *= 0.01
        g[:, 2] *= 100.0
        grads.append(g)
    tensors = {"theta0": theta0}
    tensors.update({"grad%d" % k: g for k, g in enumerate(grads)})
    for name, make in OPTIMIZERS.items():
        p = torch.nn.Parameter(theta0.double().clone())
        optimizer = make([p])
        for k, g in enumerate(grads):
            p.grad = g.double().clone()
            optimizer.step()
            tensors["%s.step%d" % (name, k)] = p.detach().clone()
    write_safetensors(os.path.join(OUT, "optimizers.safetensors"), tensors, GENERATOR)


def losses_fixture(seed):
    torch.manual_seed(seed)
    tensors = {}

    def record(name, loss_fn, x, target, target_for_torch=None):
        x64 = x.double().requires_grad_()
        loss = loss_fn(x64, target.double() if target_for_torch is None else target_for_torch)
        loss.backward()
        tensors.update({name + ".input": x, name + ".target": target, name + ".loss": loss.detach().reshape(1),
                        name + ".grad": x64.grad})

    record("mae", torch.nn.L1Loss(), torch.randn(4, 3), torch.randn(4, 3))
    record("huber", torch.nn.HuberLoss(delta=1.0), 2.0 * torch.randn(4, 3), torch.randn(4, 3))
    record("bce", torch.nn.BCEWithLogitsLoss(), 3.0 * torch.randn(4, 3), torch.rand(4, 3))
    labels = torch.randint(0, 5, (4,))
    record("cce", lambda p, t: torch.nn.NLLLoss()(torch.log(p), labels), torch.softmax(torch.randn(4, 5), dim=1),
           torch.nn.functional.one_hot(labels, 5).float())
    labels = torch.randint(0, 4, (5,))
    record("hinge", torch.nn.MultiMarginLoss(p=1, margin=1.0), torch.randn(5, 4), labels.float(), labels)
    write_safetensors(os.path.join(OUT, "losses.safetensors"), tensors, GENERATOR)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    optimizers_fixture(701)
    losses_fixture(702)
