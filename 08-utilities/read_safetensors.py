#!/usr/bin/python3
"""Read a dlfs model or checkpoint (safetensors layout) with nothing but numpy.

    08-utilities/read_safetensors.py runs/02-mlp/model.safetensors

prints the metadata, every tensor's name, shape and a few statistics, and verifies the CRC-32
checksums of the data section and, when the file has one, of the header. Exit status 0 when the
file is sound, 1 otherwise.

The layout (spec: 08-utilities/README.md): 8 bytes little-endian header length N, N bytes of
JSON, then raw little-endian float32 at data_offsets relative to the end of the header.
"""
import json
import struct
import sys
import zlib

import numpy as np


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(blob[8:8 + n])
    header_crc = header_checksum(header)
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return metadata, tensors, data, header_crc


def header_checksum(header):
    """CRC-32 of the header in its canonical form (keys sorted, no whitespace, UTF-8) without
    "header_crc32": the bytes common/safetensors.cpp checksums (nlohmann::json's dump)."""
    canonical = json.loads(json.dumps(header))
    canonical.get("__metadata__", {}).pop("header_crc32", None)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{zlib.crc32(text.encode()) & 0xffffffff:08x}"


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} FILE.safetensors", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        metadata, tensors, data, header_crc = read(path)
    except (OSError, ValueError, KeyError) as e:
        print(f"read_safetensors: error: {e}", file=sys.stderr)
        return 1
    for key in sorted(metadata):
        print(f"metadata {key} = {metadata[key]}")
    total = 0
    for name, t in tensors.items():
        total += t.size
        shape = "(" + ", ".join(str(d) for d in t.shape) + ")"
        stats = f"mean {t.mean():+.4f} std {t.std():.4f}" if t.size else "empty"
        print(f"tensor {name} {shape} float32 {stats}")
    actual = f"{zlib.crc32(data) & 0xffffffff:08x}"
    ok = metadata.get("checksum_crc32") == actual
    line = f"{len(tensors)} tensors, {total} values; checksum crc32 {actual} {'ok' if ok else 'MISMATCH'}"
    if "header_crc32" in metadata:  # files written before header checksums have none
        header_ok = metadata["header_crc32"] == header_crc
        line += f"; header crc32 {header_crc} {'ok' if header_ok else 'MISMATCH'}"
        ok = ok and header_ok
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
