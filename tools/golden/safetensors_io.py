"""Minimal safetensors reader/writer (no pip package needed).

Format: 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
"""
import json
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: ("F32", np.float32),
    torch.float64: ("F64", np.float64),
    torch.int64: ("I64", np.int64),
    torch.int32: ("I32", np.int32),
}
_BY_NAME = {name: np_t for (name, np_t) in _DTYPES.values()}

FORMAT_METADATA = {"format": "longlive-golden", "format_version": "1"}


def save(path, tensors, metadata=None):
    """Writes {name: tensor} in sorted name order (deterministic bytes)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        dname, np_t = _DTYPES[t.dtype]
        raw = t.numpy().astype(np_t, copy=False).astype(np.dtype(np_t).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dname, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    meta = dict(FORMAT_METADATA)
    if metadata:
        meta.update({str(k): str(v) for k, v in metadata.items()})
    header["__metadata__"] = meta
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for raw in blobs:
            f.write(raw)


def load(path):
    """Reads a safetensors file into {name: torch tensor} (metadata dropped)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        np_t = np.dtype(_BY_NAME[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data[base + b:base + e], dtype=np_t).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np_t.newbyteorder("="), copy=True))
    return out
