"""Benchmark (issue 9): how much of a crowd's walla is one talker, measured the way babble is.

    python benchmarks/bench_walla.py                       # the crowd prompts, seed 0
    python benchmarks/bench_walla.py --seeds 0 1 2 --ids audience_murmur station_hall

Two figures, each against what is known of real multi-talker babble:

1. **Envelope modulation depth.** The syllable rhythm of one talker modulates the envelope of
   every speech band deeply (m ~ 0.6-0.8 at 2-8 Hz); summing N independent talkers of equal
   level fills the gaps, and the depth falls roughly as 1/sqrt(N), leaving a flat modulation
   spectrum past N ~ 8. The script first measures that law on our own material (N readers of
   the bundled voice's lines, mixed speakers, random places), then each prompt's render:
   modulation index m in 1/3-octave modulation bands 2-8 Hz of the Hilbert envelope of octave
   carrier bands 0.5, 1, 2 and 4 kHz, and the "equivalent N" (the equal-talker count whose
   depth matches).
2. **Talker dominance.** From the crowd model's own readers (before the room), per 100 ms: the
   share of frames where the loudest talker is louder than all the others together, and
   where it is within 6 dB of them; the energy share of the near talkers; and the effective
   number of near and middle talkers ((sum e)^2 / sum e^2, median over frames).

Scipy is fine here (a benchmark, not a model). Voices come from the calibration cache directory
(made on first use, a minute).
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from scipy import signal as ss

SR = 48000
CARRIERS = (500, 1000, 2000, 4000)
MOD_BANDS = (2, 2.5, 3.15, 4, 5, 6.3, 8)
CROWD_IDS = ("audience_murmur", "station_hall", "cafe_cups", "restaurant", "pub_laughter", "market")


def modulation_depth(x: np.ndarray, sr: int = SR) -> np.ndarray:
    """Mean modulation index over :data:`MOD_BANDS` per carrier band in :data:`CARRIERS`."""
    x = np.asarray(x, np.float64)
    if x.ndim > 1:
        x = x.mean(axis=0)
    out = []
    for fc in CARRIERS:
        sos = ss.butter(3, [fc / 2 ** 0.5, min(fc * 2 ** 0.5, sr / 2 * 0.95)], "bandpass", fs=sr, output="sos")
        env = np.abs(ss.hilbert(ss.sosfilt(sos, x)))
        env = ss.resample_poly(env, 1, sr // 200)[100:]  # 200 Hz, the filter's start skipped
        spec = np.abs(np.fft.rfft(env - env.mean())) ** 2 * 2 / env.size ** 2
        f = np.fft.rfftfreq(env.size, 1 / 200)
        m = [np.sqrt(2 * spec[(f >= b * 2 ** (-1 / 6)) & (f < b * 2 ** (1 / 6))].sum()) / env.mean()
             for b in MOD_BANDS]
        out.append(np.mean(m))
    return np.array(out)


def babble_law(seconds: float = 8.0, counts=(1, 2, 4, 8, 16, 32, 64)) -> dict[int, float]:
    """Modulation depth (mean over carriers) of N equal talkers of our own material."""
    from scenefill.engine.models._babble import material

    rate = 12000
    mats = [m for m in (material(rate, k) for k in ("normal", "woman", "deep", "raised")) if m is not None]
    if not mats:
        raise SystemExit("no voice installed: the babble material cannot be made")
    rng = np.random.default_rng(1)
    n = int(seconds * rate)
    law = {}
    for count in counts:
        reps = []
        for _ in range(3):
            x = np.zeros(n)
            for _ in range(count):
                m = mats[rng.integers(len(mats))]
                at = rng.integers(m.size - n)
                x += m[at:at + n]
            reps.append(modulation_depth(ss.resample_poly(x, SR // rate, 1)).mean())
        law[count] = float(np.mean(reps))
    return law


def equivalent_n(depth: float, law: dict[int, float]) -> float:
    """The equal-talker count whose depth matches ``depth`` (log-log interpolation of the law)."""
    ns = np.array(sorted(law))
    ds = np.array([law[k] for k in ns])
    return float(np.exp(np.interp(-np.log(depth), -np.log(ds), np.log(ns))))


def measure(pid: str, seed: int) -> tuple[np.ndarray, dict]:
    """Render prompt ``pid`` at ``seed``; its modulation depth and its readers' dominance."""
    import scenefill.engine.models.crowd as crowd
    from scenefill.engine.api import render_array
    from scenefill.engine.evaluation.prompts import load_prompts
    from scenefill.engine.evaluation.runner import prompt_request
    from scenefill.engine.models import _vocal

    frames: list[tuple] = []
    speak = crowd.Crowd._speak

    def spy(self, rng, n_l):
        y, _ = _vocal.read_voices(self.reading, self.read_rate, self.read_pos.copy(), self.read_size,
                                  self.read_base, n_l)
        frames.append(((y.astype(np.float64) * self.level[:, None]) ** 2, self.near_n, self.mid_n, self.lo_sr))
        return speak(self, rng, n_l)

    prompt = next(p for p in load_prompts() if p.id == pid)
    crowd.Crowd._speak = spy
    try:
        audio = render_array(dataclasses.replace(prompt_request(prompt), seed=seed))
    finally:
        crowd.Crowd._speak = speak
    depth = modulation_depth(audio)
    if not frames:
        return depth, {}
    e = np.concatenate([f[0] for f in frames], axis=1)
    near_n, mid_n, lo = frames[0][1:]
    hop = int(0.1 * lo)
    k = e.shape[1] // hop
    E = e[:, :k * hop].reshape(e.shape[0], k, hop).sum(-1)
    total, top = E.sum(0), E.max(0)
    own = E[:near_n + mid_n]
    return depth, {
        "near": near_n, "middle": mid_n,
        "top_over_rest": float(np.mean(top > total - top)),
        "top_within_6dB": float(np.mean(top > 0.25 * (total - top))),
        "near_share": float(E[:near_n].sum() / total.sum()),
        "effective_talkers": float(np.median(own.sum(0) ** 2 / np.maximum((own ** 2).sum(0), 1e-30))),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ids", nargs="+", default=list(CROWD_IDS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = ap.parse_args()
    law = babble_law()
    print("babble law, our material (N equal talkers: mean m over 0.5-4 kHz carriers, 2-8 Hz):")
    print("  " + "  ".join(f"N={k}: {v:.3f}" for k, v in law.items()))
    print("  m * sqrt(N): " + "  ".join(f"{v * np.sqrt(k):.2f}" for k, v in law.items()))
    for pid in args.ids:
        for seed in args.seeds:
            depth, dom = measure(pid, seed)
            line = (f"{pid} seed {seed}: m {' '.join(f'{d:.3f}' for d in depth)} (mean {depth.mean():.3f}, "
                    f"~{equivalent_n(depth.mean(), law):.0f} equal talkers)")
            if dom:
                line += (f"; near {dom['near']} middle {dom['middle']}, near share {dom['near_share']:.2f}, "
                         f"loudest talker over the rest {dom['top_over_rest']:.0%}, within 6 dB "
                         f"{dom['top_within_6dB']:.0%}, effective talkers {dom['effective_talkers']:.1f}")
            print(line, flush=True)


if __name__ == "__main__":
    main()
