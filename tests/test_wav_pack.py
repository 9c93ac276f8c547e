"""The 24-bit WAV writer's faster packing writes exactly the bytes the plain formula gives."""

from __future__ import annotations

import io

import numpy as np
import pytest

from scenefill.engine.wavio import BwfWriter


def _reference_24(block: np.ndarray) -> bytes:
    """The straightforward packing: clip, scale, round, interleave, keep 3 of 4 little-endian bytes."""
    x = np.clip(np.asarray(block, dtype=np.float64).T, -1.0, 1.0)
    ints = np.ascontiguousarray(np.clip(np.round(x * 8388607), -8388608, 8388607).astype("<i4"))
    return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [4097, 4096, 4098, 4099, 9, 10, 11])  # whole words of 4 samples, and 1-3 over
def test_24_bit_samples_are_packed_exactly(channels, dtype, n):
    rng = np.random.default_rng(channels)
    block = rng.uniform(-1.3, 1.3, (channels, n)).astype(dtype)
    edges = np.array([1.0, -1.0, 0.5 / 8388607, -0.5 / 8388607, 1.5 / 8388607, 2.0, -3.0, 0.99999994])
    block[:, :edges.size] = edges.astype(dtype)
    sink = io.BytesIO()
    writer = BwfWriter.__new__(BwfWriter)  # just the sample path: no header
    writer.fh, writer.bit_depth, writer.frames = sink, 24, 0
    writer.write(block)
    assert sink.getvalue() == _reference_24(block)
    assert writer.frames == block.shape[1]


def test_the_xml_filter_refuses_exactly_what_xml_1_0_forbids():
    """Every code point: allowed are tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000 and up."""
    import re

    from scenefill.engine.wavio import _XML_FORBIDDEN

    allowed = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    text = "".join(map(chr, range(0x110000)))
    assert "".join(_XML_FORBIDDEN.findall(text)) == allowed.sub("", text)
