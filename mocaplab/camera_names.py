"""Pairing a calibration's camera names with a trial's camera (video) names.

One rule, used by ``mocaplab import --calibration``, by ``mocaplab detect`` (checked before any
detection runs) and by triangulation:

1. an explicit map (``--camera-map cam01=cam_0,cam02=cam_1``: video name = calibration name)
   pairs the names it lists;
2. the other names pair when they are equal;
3. if some are still unpaired, names are compared ignoring case, separators and leading zeros
   ('Cam_01' = 'cam1'), but only when that pairs *every* remaining name one to one. A partial
   loose match is refused: with caliscope's ``cam_0..cam_3`` against videos ``cam01..cam04`` it
   would pair cam01 with cam_1 (the second camera) and so on, silently wrong.

Otherwise :class:`CameraNameError` lists every video name without a calibration camera and
every calibration camera without a video, and says how to map them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mocaplab.errors import InputError


class CameraNameError(InputError):
    """The calibration's camera names cannot be paired with the trial's."""


def parse_camera_map(spec: str | None) -> dict[str, str]:
    """``"cam01=cam_0,cam02=cam_1"`` -> {"cam01": "cam_0", ...} (video name -> calibration name).

    Raises:
        InputError: an item without ``=``, an empty name, or a name listed twice.
    """
    if not spec:
        return {}
    out: dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        video, sep, cal = (s.strip() for s in item.partition("="))
        if not sep or not video or not cal:
            raise InputError(f"--camera-map item {item!r}: expected VIDEO=CALIBRATION, e.g. "
                             "cam01=cam_0")
        if video in out:
            raise InputError(f"--camera-map names video camera {video!r} twice")
        out[video] = cal
    if len(set(out.values())) != len(out):
        raise InputError(f"--camera-map maps two video cameras onto one calibration camera: "
                         f"{spec}")
    return out


def loose_name(name: str) -> str:
    """'cam_01' / 'Cam01' / 'cam1' -> 'cam1' (case, separators and leading zeros ignored)."""
    s = re.sub(r"[^0-9a-z]", "", name.lower())
    return re.sub(r"(?<!\d)0+(\d)", r"\1", s)


def pair_camera_names(videos: Sequence[str], calibration: Sequence[str],
                      explicit: Mapping[str, str] | None = None, *,
                      source: str = "the calibration") -> dict[str, str]:
    """Video camera name -> calibration camera name, for every video camera (module rule).

    Args:
        videos: the trial's camera names (video stems, keypoints file cameras).
        calibration: the calibration's camera names.
        explicit: video name -> calibration name pairs given by the user.
        source: how to name the calibration in messages (e.g. its file).
    Raises:
        CameraNameError: names that cannot be paired (all of them listed), or an explicit pair
            naming a camera that does not exist.
    """
    videos, calibration = list(videos), list(calibration)
    explicit = dict(explicit or {})
    bad_v = [v for v in explicit if v not in videos]
    bad_c = [c for c in explicit.values() if c not in calibration]
    if bad_v or bad_c:
        parts = []
        if bad_v:
            parts.append(f"video cameras {bad_v} are not among {videos}")
        if bad_c:
            parts.append(f"calibration cameras {bad_c} are not in {source} ({calibration})")
        raise CameraNameError("--camera-map: " + "; ".join(parts))
    pairs = dict(explicit)
    used = set(pairs.values())
    for v in videos:
        if v not in pairs and v in calibration and v not in used:
            pairs[v] = v
            used.add(v)
    rest_v = [v for v in videos if v not in pairs]
    rest_c = [c for c in calibration if c not in used]
    if rest_v:
        loose = {}
        for c in rest_c:
            loose.setdefault(loose_name(c), []).append(c)
        found = {v: loose.get(loose_name(v), []) for v in rest_v}
        if all(len(c) == 1 for c in found.values()) and \
                len({c[0] for c in found.values()}) == len(rest_v):
            pairs.update({v: c[0] for v, c in found.items()})
            rest_v = []
    if rest_v:
        unused = [c for c in calibration if c not in pairs.values()]
        example = ",".join(f"{v}={c}" for v, c in zip(rest_v, unused, strict=False)) or \
            f"{rest_v[0]}=NAME"
        raise CameraNameError(
            f"camera names do not match {source}: video cameras without a calibration camera: "
            f"{rest_v}; calibration cameras without a video: {unused}. Map them explicitly "
            f"with --camera-map VIDEO=CALIBRATION,... (e.g. --camera-map {example}; check "
            "which physical camera is which: numbering may start at 0 in one tool and 1 in "
            "the other)")
    return {v: pairs[v] for v in videos}
