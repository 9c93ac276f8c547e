"""Stable Audio Open through diffusers' StableAudioPipeline, from a directory the user downloaded.

44.1 kHz stereo; one window holds at most 47.55 s and always costs a whole
window. Ambience, effects and music views; dialogue stays with Piper, mixed in
the shared room by the engine as the procedural backend does.

Each window is generated with fixed timing conditioning (start 0, end = the
whole window) from latents drawn on the CPU from its own seed, and the
scheduler's SDE noise is seeded per item, so a window is the same whether it
is rendered alone or batched with other requests' windows.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .base import Backend, BackendUnavailable, WindowJob
from .device import GIB, batch_capacity, check_vram, pick_device, pick_dtype, seeded_generator
from .steps import step_done
from .weights import require_files, weight_hashes

log = logging.getLogger("scenefill.backends")

NAME = "stable-audio"
VIEWS = ("ambience", "sfx", "music")
DEFAULT_STEPS = 100
DEFAULT_GUIDANCE = 7.0
#: measured with the real configuration in bf16/fp16 on an H200 (reference/neural.md):
#: 5.4 GB peak at batch 1, 47 GB at batch 16 -> weights+workspace and per-window activations
WEIGHTS_BYTES = 2.7 * GIB
PER_WINDOW_BYTES = 2.8 * GIB
MAX_BATCH = 16
PARTS = ("transformer", "vae", "text_encoder", "tokenizer", "projection_model", "scheduler")


def _each_step(step: int, timestep, latents) -> None:
    """The pipeline's per-step callback: one denoising step of the batch is done."""
    step_done()


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else default


class StableAudioBackend(Backend):
    name = NAME
    views = VIEWS
    speech_from_model = False

    def __init__(self, model_dir: Path | str | None, device: str | None = None, *,
                 steps: int | None = None, guidance: float = DEFAULT_GUIDANCE) -> None:
        directory = require_files(NAME, Path(model_dir) if model_dir else None, ("model_index.json",))
        missing = [p for p in PARTS if not (directory / p).is_dir()]
        if missing:
            from ..errors import InvalidRequest
            from .weights import fetch_hint

            raise InvalidRequest("model_dir", f"{NAME}: {directory} is incomplete (missing "
                                 + ", ".join(missing) + "); " + fetch_hint(NAME, directory))
        from diffusers import StableAudioPipeline

        device = pick_device(device)
        dtype = pick_dtype(device)
        free = check_vram(NAME, device, WEIGHTS_BYTES + PER_WINDOW_BYTES)
        if device == "cpu":
            log.warning("%s runs on the CPU: expect minutes per window at full size", NAME)
        try:
            pipe = StableAudioPipeline.from_pretrained(str(directory), torch_dtype=dtype, local_files_only=True)
        except (OSError, ValueError, EnvironmentError) as exc:
            raise BackendUnavailable(NAME, f"cannot load the model in {directory}: {exc}") from None
        self._adopt(pipe.to(device), directory, device, dtype, free, steps, guidance)

    @classmethod
    def from_pipeline(cls, pipe, device: str, *, steps: int | None = None, guidance: float = DEFAULT_GUIDANCE,
                      label: str = "(in memory)") -> "StableAudioBackend":
        """A backend around a pipeline built in memory (the benchmark's random weights of the real size)."""
        self = cls.__new__(cls)
        free = check_vram(NAME, device, 0)
        self._adopt(pipe, Path(label), device, pipe.transformer.dtype, free, steps, guidance)
        return self

    def _adopt(self, pipe, directory: Path, device: str, dtype, free: int, steps: int | None,
               guidance: float) -> None:
        import torch

        pipe.set_progress_bar_config(disable=True)
        if os.environ.get("SCENEFILL_COMPILE") == "1" and device.startswith("cuda"):
            # opt-in: compiles once per batch size seen (minutes), then runs the DiT fused
            pipe.transformer = torch.compile(pipe.transformer, mode="max-autotune-no-cudagraphs")
        self.pipe = pipe
        self.torch = torch
        self.model_dir = directory
        self.device = device
        self.dtype = dtype
        self.max_batch = batch_capacity(free, WEIGHTS_BYTES, PER_WINDOW_BYTES,
                                        _env_int("SCENEFILL_MAX_BATCH", MAX_BATCH))
        vae = pipe.vae
        self.hop = int(np.prod(vae.config.downsampling_ratios))
        self.latent_frames = int(pipe.transformer.config.sample_size)
        self.latent_channels = int(pipe.transformer.config.in_channels)
        self.sample_rate = int(vae.config.sampling_rate)
        self.channels = int(vae.config.audio_channels)
        self.window_samples = self.latent_frames * self.hop
        self.steps = steps or _env_int("SCENEFILL_STEPS", DEFAULT_STEPS)
        self.guidance = guidance

    def provenance(self) -> dict:
        import diffusers

        weights = weight_hashes(self.model_dir) if self.model_dir.is_dir() else {}
        return {"backend": NAME, "model_dir": str(self.model_dir), "weights": weights,
                "steps": self.steps, "guidance": self.guidance, "device": self.device,
                "dtype": str(self.dtype).replace("torch.", ""), "window_s": round(self.max_window_s, 6),
                "overlap_s": round(self.grid.overlap / self.sample_rate, 6),
                "diffusers": diffusers.__version__}

    def render_windows(self, jobs: Sequence[WindowJob]) -> list[np.ndarray]:
        """One pipeline call for all jobs; each item's latents and SDE noise come from its own seed.

        Every denoising step is reported (:func:`.steps.step_done`): the daemon's watchdog
        tells a slow batch from a stalled one by it."""
        if not jobs:
            return []
        torch = self.torch
        shape = (self.latent_channels, self.latent_frames)
        latents = torch.stack([torch.randn(shape, generator=seeded_generator(j.seed)) for j in jobs])
        latents = latents.to(self.device, self.dtype)
        generators = [seeded_generator(j.seed) for j in jobs]
        with torch.inference_mode():
            out = self.pipe(prompt=[j.prompt for j in jobs], audio_start_in_s=0.0,
                            audio_end_in_s=self.max_window_s, num_inference_steps=self.steps,
                            guidance_scale=self.guidance, generator=generators, latents=latents,
                            output_type="latent", callback=_each_step, callback_steps=1)
            # decode the whole window ourselves: the pipeline's crop at int(end * rate) can lose a sample
            audio = self.pipe.vae.decode(out.audios).sample
        audio = audio.float().cpu().numpy().astype(np.float64)
        return [audio[i, :, :self.window_samples] for i in range(len(jobs))]
