"""Marker sets: which input label plays which analysis role (``LASI``, ``RHEE``, ``C7``...).

Labels are matched by name first. A label is split into a side (``L``/``R``, from a prefix or a
suffix: ``L_IAS``, ``r asis``, ``R.Heel``, ``Heel_L``, ``left_heel``; French ``G``/``D`` on French
names: ``EIASG``, ``TALON D``) and a body part, and the body part is looked up in :data:`BODY`
(sided parts) or :data:`CENTRAL` (midline markers). The aliases cover Plug-in Gait lower/full
body, Helen Hayes/Davis, Cleveland, CAST/ISB (Qualisys: ``L_IAS``, ``L_FCC``, ``CV7``, ``SXS``),
OpenSim/Motion Analysis dotted names (``R.ASIS``, ``V.Sacral``, ``R.Toe.Tip``), BTS (``r asis``,
``r mall``, ``sacrum``), Codamotion (``L.ASIS``, ``L.Ankle``), Biogesta (French: ``EIAS``,
``EIPS``, ``TALON``, ``MALLEOLE``), OpenCap's augmented markers (``r.ASIS_study``,
``r_mknee_study``, ``r_mankle_study``, ``r_5meta_study``, ``C7_study``: they win their role over
the OpenPose keypoints OpenCap writes in the same file), mediapipe33 and OpenPose/BlazePose
keypoint names. Medial knee/ankle (KNM, ANM), fifth metatarsal head (5MH) and elbow/wrist
(ELB, ELM, WRA, WRB) roles take the names the marker augmenter writes; cluster markers
(``r_thigh1_study``, ``r_sh1_study``) play no role.

Where a name has no side (``Heel``, ``Toe``), the side is taken from geometry: which side of the
pelvis (or of the marker cloud) the marker stays on. Among several labels for one role, the
alias listed first wins, then the copy with the most samples (files with repeated labels).

A user mapping (``--map labels.toml``: ``LASI = "MyLeftASIS"``) overrides all of this.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from mocaplab.errors import InputError
from mocaplab.reading import read_toml

#: sided body part -> aliases (normalised: lower case, no separators), best first.
BODY: dict[str, tuple[str, ...]] = {
    "ASI": ("asi", "asis", "ias", "eias", "antsupiliacspine", "fwt"),
    "PSI": ("psi", "psis", "ips", "eips", "bwt"),
    "HJC": ("hjc", "hipjc", "hipjointcentre", "hipjointcenter", "hipcenter", "hipcentre"),
    "HIP": ("hip",),
    "KNE": ("kjc", "kne", "knee", "knee1", "kneelat", "latknee", "fle", "lfe", "genou",
            "condyle", "condext", "condylelat", "kneejc"),
    "ANK": ("ajc", "ank", "ankle", "mal", "mall", "malleolus", "latmal", "mallat", "fal",
            "malleole", "malext", "ankle1", "anklelat"),
    "HEE": ("hee", "heel", "cal", "calc", "calca", "fcc", "calcaneus", "talon"),
    "TOE": ("toe", "toetip", "bigtoe", "footindex", "mt2", "fm2", "met", "meta", "met2",
            "mh2", "orteil", "m2", "tm2", "fm1", "mt1", "met1", "toe1", "m1", "mt5",
            "fm5", "met5", "m5", "smalltoe", "footmed", "footlat"),
    "SHO": ("sho", "should", "shoulder", "acr", "sae", "acromion", "acromium"),
    # medial markers and the upper limb (OpenCap's augmented set, CGM2/ISB names); the roles
    # the marker augmenter writes (analysis/augmenter.LOWER_OUTPUTS, UPPER_OUTPUTS)
    "KNM": ("knm", "mknee", "kneemed", "medknee", "kneemedial", "mfe", "fme", "condint"),
    "ANM": ("anm", "mankle", "mmal", "medmal", "malmed", "mma", "tam", "anklemed",
            "malleoleint"),
    "5MH": ("5mh", "5meta", "vmh", "mh5"),  # mt5, fm5...: TOE where a set has no toe marker
    "ELB": ("elb", "elbow", "lelbow", "latelbow", "elbowlat", "epl"),
    "ELM": ("elm", "melbow", "medelbow", "elbowmed", "epm"),
    "WRA": ("wra", "lwrist", "wrist", "wristlat", "rsp"),
    "WRB": ("wrb", "mwrist", "wristmed", "usp"),
}
#: the suffix of OpenCap's augmented anatomical markers (``r_knee_study``): in a file that also
#: holds the video keypoints they came from (``RKnee``, OpenPose names), these markers win the
#: role (they are the markers OpenCap's own inverse kinematics uses).
OPENCAP_SUFFIX = "_study"
#: body parts whose French side letters (G gauche, D droite) are accepted as a suffix.
FRENCH = ("eias", "eips", "talon", "malleole", "genou", "orteil", "acromion", "condext")
#: midline role -> aliases, best first.
CENTRAL: dict[str, tuple[str, ...]] = {
    "SACR": ("sacr", "sacrum", "sacral", "vsacral", "vsac", "sac", "s2", "sacr1", "sacrum1",
             "midpsis"),
    "C7": ("c7", "cv7", "vc7"),
    "T10": ("t10", "tv10", "th10"),
    "T8": ("t8", "tv8", "th8"),
    "CLAV": ("clav", "ij", "sjn", "jugular", "incisurajugularis", "manubrium", "ster"),
    "STRN": ("strn", "px", "sxs", "xiphoid", "xiphoide", "sternum"),
}
#: marker-set name -> a test on the normalised labels (first match names the set).
SET_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("OpenCap (augmented _study markers)", ("r.asis_study", "l.asis_study", "r_knee_study",
                                            "l_knee_study", "c7_study", "r_calc_study")),
    ("CAST/ISB (Qualisys)", ("l_ias", "r_ias", "l_fcc", "r_fcc", "cv7", "sxs", "sjn")),
    ("Codamotion", ("l.sac.wand", "r.sac.wand")),
    ("Biogesta", ("eiasg", "eiasd", "eias g", "eias d", "talon g", "talon d")),
    ("OpenSim / Motion Analysis (dotted names)", ("r.asis", "l.asis", "v.sacral", "r.heel",
                                                  "r.toe.tip", "r.asis_study")),
    ("Helen Hayes / Davis", ("vsac",)),
    ("BTS (Davis protocol)", ("r asis", "l asis", "r mall", "sacrum")),
    ("Plug-in Gait full body", ("lfhd", "c7", "clav", "lasi")),
    ("Plug-in Gait lower body", ("lasi", "rasi", "lhee", "rhee")),
    ("Vicon/Motek full body (waist markers)", ("lfwt", "rfwt", "lbwt", "rbwt")),
    ("mediapipe33 keypoints", ("left_hip", "left_heel", "left_foot_index")),
    ("OpenPose / BlazePose keypoints", ("rhip", "lhip", "rbigtoe", "lbigtoe")),
)
#: what each part of the analysis needs: any one of the alternatives, all of its roles.
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "pelvis angles": (("LASI", "RASI", "SACR"), ("LASI", "RASI", "LPSI", "RPSI"),
                      ("LHJC", "RHJC"), ("LHIP", "RHIP")),
    "gait events": (("LHEE", "RHEE", "LTOE", "RTOE"), ("LHEE", "RHEE"), ("LANK", "RANK"),
                    ("LTOE", "RTOE")),
    "thorax and spine angles": (("C7", "T10", "CLAV", "STRN"), ("LSHO", "RSHO")),
}
_SIDES_PREFIX = {"l": "L", "r": "R", "left": "L", "right": "R", "lt": "L", "rt": "R"}
_SIDES_FRENCH = {"g": "L", "d": "R", "gauche": "L", "droite": "R", "droit": "R"}


@dataclasses.dataclass(frozen=True)
class RoleSource:
    """One role's source: input label, column index and how it was matched
    ("name", "geometry" or "user map")."""

    role: str
    label: str
    index: int
    how: str


@dataclasses.dataclass(frozen=True)
class MarkerSetMatch:
    """The result of matching a set of labels.

    Attributes:
        roles: role -> how it was matched.
        marker_set: name of the set the labels look like ("unknown" if none).
        unmatched: input labels that play no role.
        empty: role -> input label named for it whose every sample is missing (so the role is
            absent; e.g. a file's upper-body markers never reconstructed).
    """

    roles: Mapping[str, RoleSource]
    marker_set: str
    unmatched: tuple[str, ...]
    empty: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def provenance(self) -> dict:
        return {"marker_set": self.marker_set,
                "mapping": {r: {"label": m.label, "by": m.how} for r, m in self.roles.items()},
                "unmatched_labels": list(self.unmatched),
                "labels_without_samples": dict(self.empty)}


def _strip(label: str) -> str:
    label = label.split(":")[-1].strip().lower()
    label = re.sub(r"#\d+$", "", label)            # repeated labels (marker_io)
    return re.sub(r"_study$", "", label)           # OpenCap augmented markers (see below)


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-.]", "", s)


def _lookup_body(body: str) -> str | None:
    for part, aliases in BODY.items():
        if body in aliases:
            return part
    return None


def parse_label(label: str) -> tuple[str | None, str | None, int]:
    """(side "L"/"R"/None, body part or central role, alias rank) of one label; (None, None,
    99) if it is no known landmark. OpenCap's ``_study`` markers rank before every other label
    of their role (negative rank)."""
    side, part, rank = _parse_stripped(_strip(label))
    opencap = label.split(":")[-1].strip().lower().endswith(OPENCAP_SUFFIX)
    return side, part, rank - 100 if part is not None and opencap else rank


def _parse_stripped(raw: str) -> tuple[str | None, str | None, int]:
    tokens = [t for t in re.split(r"[\s_\-.]+", raw) if t]
    if not tokens:
        return None, None, 99
    joined = "".join(tokens)
    for role, aliases in CENTRAL.items():
        if joined in aliases:
            return None, role, aliases.index(joined)
    candidates: list[tuple[str, str]] = []
    if len(tokens) > 1 and tokens[0] in _SIDES_PREFIX:
        candidates.append((_SIDES_PREFIX[tokens[0]], "".join(tokens[1:])))
    if len(tokens) > 1 and tokens[-1] in _SIDES_PREFIX | _SIDES_FRENCH:
        side = (_SIDES_PREFIX | _SIDES_FRENCH)[tokens[-1]]
        candidates.append((side, "".join(tokens[:-1])))
    for word, side in _SIDES_PREFIX.items():        # glued prefix: LASI, RHeel, leftheel
        if joined.startswith(word) and len(joined) > len(word):
            candidates.append((side, joined[len(word):]))
    for word, side in _SIDES_FRENCH.items():        # glued French suffix: EIASG, TALOND
        if joined.endswith(word) and joined[: -len(word)] in FRENCH:
            candidates.append((side, joined[: -len(word)]))
    for side, body in candidates:
        part = _lookup_body(body)
        if part:
            return side, part, BODY[part].index(body)
    part = _lookup_body(joined)                     # no side: geometry decides
    if part:
        return None, part, BODY[part].index(joined)
    return None, None, 99


def detect_set(labels: Sequence[str]) -> str:
    """The name of the marker set the labels look like (two of its typical labels, case
    ignored, subject prefix stripped), or "unknown"."""
    low = {lb.split(":")[-1].strip().lower() for lb in labels}
    for name, signature in SET_SIGNATURES:
        if sum(s in low for s in signature) >= min(2, len(signature)):
            return name
    return "unknown"


def load_label_map(path: str | Path) -> dict[str, str]:
    """A user mapping from a TOML file: ``ROLE = "input label"`` lines, optionally in a
    ``[roles]`` table. Roles: LASI, RASI, LPSI, RPSI, SACR, L/RHJC, L/RKNE, L/RANK, L/RHEE,
    L/RTOE, C7, T10, CLAV, STRN, L/RSHO."""
    path = Path(path)
    data = read_toml(path, "label map")
    data = data.get("roles", data)
    bad = {k: v for k, v in data.items() if not isinstance(v, str) or k not in ALL_ROLES}
    if bad:
        raise InputError(f"label map {path}: unknown roles or non-text labels {sorted(bad)}; "
                         f"roles are {', '.join(ALL_ROLES)}")
    return dict(data)


ALL_ROLES: tuple[str, ...] = tuple(
    [f"{s}{p}" for p in BODY for s in "LR"] + list(CENTRAL))


def match_labels(points: np.ndarray, labels: Sequence[str],
                 user_map: Mapping[str, str] | None = None) -> MarkerSetMatch:
    """Assign roles to the labels of ``points`` (F, M, 3); see the module docstring."""
    points = np.asarray(points, dtype=float)
    n_valid = np.isfinite(points).all(-1).sum(0) if points.size else np.zeros(len(labels))
    chosen: dict[str, tuple[tuple[int, int], RoleSource]] = {}
    used: set[int] = set()
    for role, label in (user_map or {}).items():
        if label not in labels:
            raise InputError(f"the label map gives {role} = {label!r}, but the input has no such "
                             f"label; its labels: {list(labels)[:20]}")
        i = list(labels).index(label)
        chosen[role] = ((-1, 0), RoleSource(role, label, i, "user map"))
        used.add(i)
    unsided: list[tuple[str, int, int]] = []
    empty: dict[str, str] = {}
    for i, label in enumerate(labels):
        if i in used:
            continue
        side, part, rank = parse_label(label)
        if part is None:
            continue
        if n_valid[i] == 0:
            if part in CENTRAL or side is not None:
                empty.setdefault(part if part in CENTRAL else side + part, label)
            continue
        if part in CENTRAL:
            role = part
        elif side is None:
            unsided.append((part, i, rank))
            continue
        else:
            role = side + part
        key = (rank, -int(n_valid[i]))
        if role not in chosen or key < chosen[role][0]:
            chosen[role] = (key, RoleSource(role, label, i, "name"))
    for part, i, rank in unsided:
        side = _side_from_geometry(points, i, chosen)
        if side and side + part not in chosen:
            chosen[side + part] = ((rank, 0), RoleSource(side + part, labels[i], i, "geometry"))
    roles = {r: m for r, (_, m) in chosen.items()}
    taken = {m.index for m in roles.values()}
    unmatched = tuple(lb for i, lb in enumerate(labels) if i not in taken)
    empty = {r: lb for r, lb in empty.items() if r not in roles}
    return MarkerSetMatch(roles, detect_set(labels), unmatched, empty)


def _side_from_geometry(points: np.ndarray, i: int,
                        chosen: Mapping[str, tuple[tuple[int, int], RoleSource]]) -> str | None:
    """"L"/"R" for an unsided marker: the side of the sided markers it stays nearest to (left
    and right markers already matched by name), None if that is unclear."""
    left = [m.index for r, (_, m) in chosen.items() if r.startswith("L") and r not in CENTRAL]
    right = [m.index for r, (_, m) in chosen.items() if r.startswith("R") and r not in CENTRAL]
    if not left or not right:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        lc = np.nanmean(points[:, left], axis=1)
        rc = np.nanmean(points[:, right], axis=1)
        axis = lc - rc
        axis /= np.linalg.norm(axis, axis=1, keepdims=True)
        mid = (lc + rc) / 2
        s = np.nanmedian(np.einsum("fi,fi->f", points[:, i] - mid, axis))
    if not np.isfinite(s) or abs(s) < 0.02:
        return None
    return "L" if s > 0 else "R"


def unmet_needs(roles: set[str] | Mapping[str, object]) -> list[str]:
    """One line per part of the analysis the roles cannot feed, naming what it needs."""
    out = []
    for what, alternatives in NEEDS.items():
        if not any(all(r in roles for r in alt) for alt in alternatives):
            out.append(f"{what} need {' or '.join('+'.join(alt) for alt in alternatives)}")
    return out


def needs_warnings(roles: set[str] | Mapping[str, object],
                   empty: Mapping[str, str] | None = None) -> list[str]:
    """:func:`unmet_needs` with why: which of the needed roles the input has, which it names
    but with no valid sample (``empty``: role -> label), and that the rest are not among its
    labels."""
    empty = dict(empty or {})
    out = []
    for (_what, alternatives), line in zip(
            ((w, a) for w, a in NEEDS.items()
             if not any(all(r in roles for r in alt) for alt in a)),
            unmet_needs(roles), strict=True):
        wanted = list(dict.fromkeys(r for alt in alternatives for r in alt))
        found = [r for r in wanted if r in roles]
        blank = [r if empty[r] == r else f"{r} ({empty[r]!r})" for r in wanted if r in empty]
        if not found and not blank:
            out.append(f"{line} (not found among the input's labels; map them with --map "
                       "labels.toml)")
            continue
        parts = ([f"found: {', '.join(found)}"] if found else []) + (
            [f"in the input but with no valid sample: {', '.join(blank)}"] if blank else [])
        if len(found) + len(blank) < len(wanted):
            parts.append("the others are not among the input's labels: map them with --map "
                         "labels.toml")
        out.append(f"{line} ({'; '.join(parts)})")
    return out


def missing_message(match: MarkerSetMatch, labels: Sequence[str]) -> str:
    """What the input lacks for each part of the analysis and how to map its labels."""
    lacks = unmet_needs(set(match.roles))
    shown = ", ".join(repr(lb) for lb in list(labels)[:15]) + (", ..." if len(labels) > 15
                                                               else "")
    return ("; ".join(lacks) + f". The input's labels ({len(labels)}): {shown}"
            + (f" (looks like: {match.marker_set})" if match.marker_set != "unknown" else "")
            + ". Map them with --map labels.toml, a file of lines such as LASI = \"L_ASIS\", "
              "RHEE = \"Right heel\" (roles: " + ", ".join(ALL_ROLES) + ")")
