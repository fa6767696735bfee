"""Gait cycles (foot strike to next foot strike of the same side) and time-normalised curves."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from mocaplab.analysis.events import GaitEvent


@dataclasses.dataclass(frozen=True)
class Cycle:
    """One stride of ``side``: sample indices (fractional) of its events.

    ``foot_off``: this side's foot off inside the stride. ``opp_foot_off`` / ``opp_foot_strike``:
    the other side's foot off and foot strike inside the stride (NaN if not seen).
    """

    side: str
    start: float
    end: float
    foot_off: float
    opp_foot_off: float
    opp_foot_strike: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def find_cycles(events: list[GaitEvent], excluded: np.ndarray, fps: float,
                max_stride_s: float = 3.0) -> tuple[list[Cycle], list[str]]:
    """Cycles of both sides, and warnings. A cycle needs two foot strikes of its side, with no
    excluded (turning/standing) frame and exactly one foot off of that side between them."""
    cycles: list[Cycle] = []
    warnings: list[str] = []
    for side in ("left", "right"):
        fs = [e.index for e in events if e.side == side and e.type == "foot_strike"]
        fo = [e.index for e in events if e.side == side and e.type == "foot_off"]
        other = "right" if side == "left" else "left"
        ofo = [e.index for e in events if e.side == other and e.type == "foot_off"]
        ofs = [e.index for e in events if e.side == other and e.type == "foot_strike"]
        for a, b in zip(fs[:-1], fs[1:], strict=True):
            if (b - a) / fps > max_stride_s:
                continue
            if excluded[int(np.floor(a)): int(np.ceil(b)) + 1].any():
                continue
            inside = [x for x in fo if a < x < b]
            if len(inside) != 1:
                continue
            oo = [x for x in ofo if a < x < b]
            os_ = [x for x in ofs if a < x < b]
            cycles.append(Cycle(side, a, b, inside[0], oo[0] if oo else np.nan,
                                os_[0] if os_ else np.nan))
        n_fs = len(fs)
        if not any(c.side == side for c in cycles):
            warnings.append(
                f"no complete {side} gait cycle (found {n_fs} {side} foot strike(s); a cycle "
                f"needs two {side} foot strikes with a {side} foot off between them): the {side} "
                "cycle-based parameters are not computed")
    cycles.sort(key=lambda c: c.start)
    return cycles, warnings


def normalise(signal: np.ndarray, cycle: Cycle, n_points: int = 101) -> np.ndarray:
    """Resample ``signal`` (F,) or (F, D) over one cycle to ``n_points`` (0-100 %)."""
    signal = np.asarray(signal, dtype=float)
    idx = np.arange(signal.shape[0])
    t = np.linspace(cycle.start, cycle.end, n_points)
    if signal.ndim == 1:
        return np.interp(t, idx, signal, left=np.nan, right=np.nan)
    return np.stack([np.interp(t, idx, signal[:, d], left=np.nan, right=np.nan)
                     for d in range(signal.shape[1])], axis=-1)


def mean_sd(signal: np.ndarray, cycles: list[Cycle], n_points: int = 101) -> dict:
    """A signal over the given cycles, as metrics.json ``cycles`` stores it: ``mean`` and ``sd``
    (n_points,) over the cycles (NaN where no cycle has a sample; SD ddof=1, NaN with one
    cycle), each cycle's own curve (``curves``: (n_cycles, n_points), NaN where the signal is
    missing) and ``n_cycles``: how many cycles have at least one sample of the signal. Without
    a cycle every list is empty.

    The one place gait cycles are time-normalised (:func:`normalise`): the report, progress
    report and API read these stored curves, they do not normalise again.
    """
    if not cycles:
        return {"n_cycles": 0, "mean": [], "sd": [], "curves": []}
    curves = np.stack([normalise(signal, c, n_points) for c in cycles])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(curves, axis=0)
        sd = np.nanstd(curves, axis=0, ddof=1) if len(cycles) > 1 else \
            np.full(n_points, np.nan)
    return {"n_cycles": int(np.isfinite(curves).any(axis=1).sum()), "mean": mean, "sd": sd,
            "curves": curves}
