"""Device, precision and memory checks for the neural backends; the only torch importer besides them.

Importing this module does not import torch: each function does, so
``scenefill backends`` can say "no torch" instead of failing.
"""

from __future__ import annotations

import importlib.util
import logging
import os

from .base import BackendUnavailable

log = logging.getLogger("scenefill.backends")
GIB = 1024 ** 3


def torch_missing() -> str | None:
    """Why the neural extra is unusable, or None."""
    for module in ("torch", "transformers", "diffusers"):
        if importlib.util.find_spec(module) is None:
            return f"no {module} (install the extra: pip install 'scenefill[neural]')"
    return None


def pick_device(requested: str | None = None) -> str:
    """``cuda`` when there is a GPU (or the one asked for), else ``cpu`` with a warning."""
    import torch

    requested = requested or os.environ.get("SCENEFILL_DEVICE") or None
    if requested:
        if requested.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailable("device", f"{requested} asked for, but torch sees no CUDA GPU")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def pick_dtype(device: str):
    """bf16 where the GPU has it (same range as fp32: no overflow in the DiT), else fp16; fp32 on the CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def check_vram(backend: str, device: str, need_bytes: float) -> int:
    """Refuse to load on a GPU with less free memory than ``need_bytes``; returns the free bytes."""
    if not device.startswith("cuda"):
        return 0
    import torch

    free, total = torch.cuda.mem_get_info(torch.device(device))
    if free < need_bytes:
        raise BackendUnavailable(
            backend, f"needs about {need_bytes / GIB:.1f} GiB of free GPU memory on {device}, "
            f"{free / GIB:.1f} of {total / GIB:.1f} GiB free")
    return int(free)


def batch_capacity(free_bytes: int, weights_bytes: float, per_item_bytes: float, ceiling: int) -> int:
    """How many windows fit in one batch after the weights, from measured per-window activation sizes."""
    if free_bytes <= 0:
        return ceiling
    room = max(0.0, free_bytes - weights_bytes)
    return max(1, min(ceiling, int(room // per_item_bytes)))


def seeded_generator(seed: int):
    """A CPU generator: the same noise on every device, so a GPU and a CPU draw the same latents."""
    import torch

    return torch.Generator("cpu").manual_seed(int(seed))
