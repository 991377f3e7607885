"""write_safetensors: the one writer of the chapters' PyTorch fixtures (NN-topic/tests/make_fixtures.py),
and record_layer, which runs a module once forward and backward for them.

The format is safetensors, written here by hand (the `safetensors` package is not in Debian):
8-byte little-endian header length, a JSON header padded with spaces to a multiple of 8 giving each
tensor's dtype F32, shape and data_offsets, then the raw little-endian float32 data. The
__metadata__ carries what common/safetensors.hpp's reader checks (format_version, checksum_crc32)
and which script wrote the file.
"""
import json
import os
import struct
import zlib

import torch


def write_safetensors(path, tensors, generator):
    """tensors: name -> torch tensor, written as float32 in this order; generator: the script's path."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        values = tensor.detach().to(torch.float32).contiguous().flatten().tolist()
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    data = b"".join(chunks)
    header["__metadata__"] = {
        "format": "dlfs",
        "format_version": "1",
        "checksum_crc32": "%08x" % (zlib.crc32(data) & 0xFFFFFFFF),
        "generator": generator + ", torch " + torch.__version__,
    }
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    print("wrote %s (%d bytes)" % (os.path.relpath(path), 8 + len(text) + len(data)))


def record_layer(tensors, prefix, module, x):
    """The module's state_dict under prefix (PyTorch's names: weight, bias, ...), then one forward and
    one backward of its float64 copy on x: input, output, doutput (a random G), grad.input and
    grad.<parameter> of L = sum(output G)."""
    tensors.update({prefix + name: t.detach().clone() for name, t in module.state_dict().items()})
    module64 = module.double()
    x64 = x.double().requires_grad_()
    out = module64(x64)
    g = torch.randn(out.shape)
    (out * g.double()).sum().backward()
    tensors.update({prefix + "input": x, prefix + "output": out, prefix + "doutput": g, prefix + "grad.input": x64.grad})
    for name, p in module64.named_parameters():
        tensors[prefix + "grad." + name] = p.grad
