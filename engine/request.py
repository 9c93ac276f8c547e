"""What a caller asks for: a note, an exact length and output settings.

The CLI, the daemon and the plugins all build a :class:`RenderRequest`; its
``validate`` is the single place where bad input is refused with a field name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import InvalidRequest
from .timing import SUPPORTED_SAMPLE_RATES

#: Loudness presets (integrated, LUFS / LKFS).
LOUDNESS_PRESETS: dict[str, float] = {
    "broadcast": -23.0,  # EBU R128
    "atsc": -24.0,       # ATSC A/85
    "streaming": -16.0,
    "streaming-14": -14.0,
}
DEFAULT_LOUDNESS = LOUDNESS_PRESETS["broadcast"]
DEFAULT_MAX_SECONDS = 4 * 3600.0
MAX_NOTE_CHARS = 8000
FORMATS = ("wav", "flac")
BIT_DEPTHS = (16, 24, 32)


@dataclass(frozen=True)
class RenderRequest:
    """A render the engine can carry out; lengths are in samples, already exact."""

    note: str
    n_samples: int
    sample_rate: int = 48000
    channels: int = 2
    seed: int = 0
    loudness: float = DEFAULT_LOUDNESS
    loop: bool = False
    handle_samples: int = 0
    fmt: str = "wav"
    bit_depth: int = 24
    backend: str = "procedural"
    voice: str = ""
    extra: dict = field(default_factory=dict)

    def validate(self, max_seconds: float = DEFAULT_MAX_SECONDS) -> "RenderRequest":
        """Refuse a bad request with the field at fault; returns self for chaining."""
        if not isinstance(self.note, str) or not self.note.strip():
            raise InvalidRequest("note", "the scene note is empty")
        if len(self.note) > MAX_NOTE_CHARS:
            raise InvalidRequest("note", f"the note is longer than {MAX_NOTE_CHARS} characters")
        if self.sample_rate not in SUPPORTED_SAMPLE_RATES:
            raise InvalidRequest(
                "sample_rate",
                f"unsupported sample rate {self.sample_rate}; use one of "
                + ", ".join(map(str, SUPPORTED_SAMPLE_RATES)),
            )
        if not isinstance(self.n_samples, int) or self.n_samples <= 0:
            raise InvalidRequest("length", f"length must be positive, got {self.n_samples} samples")
        limit = int(max_seconds * self.sample_rate)
        if self.n_samples > limit:
            raise InvalidRequest(
                "length",
                f"{min(self.n_samples, 2**64) / self.sample_rate:.1f} s is over the maximum of {max_seconds:g} s",
            )
        if self.channels not in (1, 2):
            raise InvalidRequest("channels", f"channels must be 1 or 2, got {self.channels}")
        if not (-70.0 <= self.loudness <= -5.0):
            raise InvalidRequest("loudness", f"loudness {self.loudness} LUFS is outside -70..-5")
        if self.handle_samples < 0:
            raise InvalidRequest("handles", "handles cannot be negative")
        if self.handle_samples > limit:
            raise InvalidRequest("handles", "handles are longer than the maximum length")
        if self.fmt not in FORMATS:
            raise InvalidRequest("format", f"unknown format {self.fmt!r}; use wav or flac")
        if self.bit_depth not in BIT_DEPTHS or (self.fmt == "flac" and self.bit_depth == 32):
            raise InvalidRequest("bit_depth", f"unsupported bit depth {self.bit_depth}")
        if not (0 <= self.seed < 2**63):
            raise InvalidRequest("seed", "seed must be between 0 and 2**63-1")
        return self

    @property
    def total_samples(self) -> int:
        """Samples in the file: the range plus a handle on each side."""
        return self.n_samples + 2 * self.handle_samples

    def replace(self, **changes) -> "RenderRequest":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
