"""Dasheng AudioGen through transformers (< 5), from a local snapshot that carries its own code.

The snapshot (``mispeech/Dasheng-AudioGen`` or ``...-Multilingual``) is loaded
with the model card's interface, transformers' ``text-to-audio`` pipeline with
``trust_remote_code`` -- from that directory only: an ``auto_map`` entry that
points at another repository is refused, and the hub is switched off. The
model renders the whole tagged scene at once (speech included) at 16 kHz; the
engine resamples it.

The prompt is our parsed caption in the model's tagged form, as
:meth:`Caption.to_prompt` writes it (``<|caption|>`` first, empty tags left
out). Only the first window speaks the lines (``<|speech|>``/``<|asr|>``);
later windows continue the scene without them, so a long render does not
repeat its dialogue every window.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ..caption import Caption
from ..errors import InvalidRequest
from .base import Backend, BackendUnavailable, View, WindowJob
from .device import GIB, check_vram, pick_device, pick_dtype, seeded_generator
from .steps import step_done
from .weights import fetch_hint, require_files, weight_hashes

log = logging.getLogger("scenefill.backends")

NAME = "dasheng"
DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 5.0
DEFAULT_WINDOW_S = 10.0
#: from its published GGUF conversion: DiT 4.1 GB (F16), T5 encoder 1.3 GB (F32), vocoder 332 MB (F16);
#: plus room for one window's activations
NEED_BYTES = (4.1 + 1.3 + 0.35) * 1e9 + 2 * GIB
_WINDOW_KEYS = ("max_duration", "max_audio_length_in_s", "max_length_s", "max_seconds", "duration")
_PARAM_NAMES = {
    "duration": ("duration", "audio_length_in_s", "audio_duration", "seconds"),
    "steps": ("num_inference_steps", "num_steps", "steps"),
    "guidance": ("guidance_scale", "cfg_scale", "guidance"),
}


def scene_view(caption: Caption) -> View:
    """The one view Dasheng renders: the whole scene (the caption's own tagged prompt,
    :meth:`Caption.to_prompt`); later windows without the spoken lines."""
    first = caption.to_prompt()
    rest = caption.to_prompt(speech=False)
    return View("scene", first, rest if rest != first else None)


def _check_local_code(directory: Path, config: dict) -> None:
    """trust_remote_code only for code in this directory: refuse auto_map entries naming another repo."""
    for target in (config.get("auto_map") or {}).values():
        for ref in (target if isinstance(target, (list, tuple)) else [target]):
            if isinstance(ref, str) and "--" in ref:
                raise InvalidRequest("model_dir", f"{NAME}: {directory}/config.json points its code at "
                                     f"another repository ({ref}); only code in the snapshot itself is run")
            if isinstance(ref, str):
                module = ref.split(".")[0]
                if not (directory / f"{module}.py").is_file():
                    raise InvalidRequest("model_dir", f"{NAME}: {directory} lacks {module}.py (its code); "
                                         + fetch_hint(NAME, directory))


class DashengBackend(Backend):
    name = NAME
    views = ("scene",)
    speech_from_model = True
    channels = 1
    max_batch = 1

    def __init__(self, model_dir: Path | str | None, device: str | None = None, *,
                 steps: int | None = None, guidance: float = DEFAULT_GUIDANCE) -> None:
        directory = require_files(NAME, Path(model_dir) if model_dir else None, ("config.json",))
        try:
            config = json.loads((directory / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise InvalidRequest("model_dir", f"{NAME}: cannot read {directory}/config.json: {exc}") from None
        if not config.get("auto_map"):
            raise InvalidRequest("model_dir", f"{NAME}: {directory}/config.json has no auto_map: this is not "
                                 "a Dasheng AudioGen snapshot with its code; " + fetch_hint(NAME, directory))
        _check_local_code(directory, config)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers reads it; never download
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import pipeline

        self.model_dir = directory
        self.device = pick_device(device)
        self.dtype = pick_dtype(self.device)
        check_vram(NAME, self.device, NEED_BYTES)
        if self.device == "cpu":
            log.warning("%s runs on the CPU: expect minutes per window at full size", NAME)
        try:
            self.pipe = pipeline("text-to-audio", model=str(directory), trust_remote_code=True,
                                 device=torch.device(self.device),
                                 model_kwargs={"local_files_only": True, "dtype": self.dtype})
        except (OSError, ValueError, ImportError) as exc:
            raise BackendUnavailable(NAME, f"cannot load the snapshot in {directory}: {exc}") from None
        self.torch = torch
        self.sample_rate = int(self.pipe.sampling_rate or config.get("sampling_rate") or 16000)
        window_s = next((float(config[k]) for k in _WINDOW_KEYS if isinstance(config.get(k), (int, float))),
                        DEFAULT_WINDOW_S)
        self.window_samples = int(round(window_s * self.sample_rate))
        self.steps = steps or DEFAULT_STEPS
        self.guidance = guidance
        self._params = self._call_params()

    def _call_params(self) -> dict[str, str]:
        """Which names its forward/generate takes for duration, steps, guidance and the generator."""
        model = self.pipe.model
        fn = model.generate if model.can_generate() else model.forward
        sig = inspect.signature(fn)
        takes_any = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
        names: dict[str, str] = {}
        for what, candidates in _PARAM_NAMES.items():
            hit = next((c for c in candidates if c in sig.parameters), None)
            if hit is None and takes_any:
                hit = candidates[0]
            if hit:
                names[what] = hit
        for seed_name in ("generator", "seed"):
            if seed_name in sig.parameters or (takes_any and seed_name == "generator"):
                names["seed"] = seed_name
                break
        if "seed" not in names:
            log.warning("%s: the model takes no generator or seed; seeding torch globally per window", NAME)
        return names

    def provenance(self) -> dict:
        import transformers

        return {"backend": NAME, "model_dir": str(self.model_dir), "weights": weight_hashes(self.model_dir),
                "steps": self.steps, "guidance": self.guidance, "device": self.device,
                "dtype": str(self.dtype).replace("torch.", ""), "window_s": round(self.max_window_s, 6),
                "overlap_s": round(self.grid.overlap / self.sample_rate, 6),
                "transformers": transformers.__version__}

    def render_windows(self, jobs: Sequence[WindowJob]) -> list[np.ndarray]:
        """One call per window (its own generator): the pipeline's batching shares one generator."""
        out = []
        for job in jobs:
            params: dict = {}
            p = self._params
            if "duration" in p:
                params[p["duration"]] = self.max_window_s
            if "steps" in p:
                params[p["steps"]] = self.steps
            if "guidance" in p:
                params[p["guidance"]] = self.guidance
            if p.get("seed") == "generator":
                params["generator"] = seeded_generator(job.seed)
            elif p.get("seed") == "seed":
                params["seed"] = job.seed
            else:
                self.torch.manual_seed(job.seed)
            with self.torch.inference_mode():
                result = self.pipe(job.prompt, forward_params=params)
            if isinstance(result, list):
                result = result[0]
            audio = np.asarray(result["audio"], dtype=np.float64)
            rate = int(result.get("sampling_rate") or self.sample_rate)
            if rate != self.sample_rate:
                raise BackendUnavailable(NAME, f"the model answered at {rate} Hz, expected {self.sample_rate}")
            audio = audio.reshape(-1, audio.shape[-1])[:1]  # (1, n): mono
            n = audio.shape[1]
            if n < self.window_samples:
                if n < 0.9 * self.window_samples:
                    raise BackendUnavailable(NAME, f"the model returned {n / rate:.2f} s for a "
                                             f"{self.max_window_s:.2f} s window")
                audio = np.pad(audio, ((0, 0), (0, self.window_samples - n)), mode="edge")
            out.append(audio[:, :self.window_samples])
            step_done()     # its published interface has no step callback: a window is the progress we see
        return out
