"""Named, ordered keypoint sets: MediaPipe BlazePose (33) and Plug-in Gait markers.

A :class:`KeypointSet` knows its names, which side each point is on, the left/right mirror of each
point (for swap detection) and the skeleton edges (for drawing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from mocaplab.errors import InputError

MEDIAPIPE33_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)

_MEDIAPIPE33_EDGES = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_wrist", "left_index"), ("right_wrist", "right_index"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"),
    ("right_eye", "right_ear"),
)

#: Plug-in Gait full-body marker set (Vicon), with SACR as the alternative to LPSI/RPSI.
PLUGIN_GAIT_NAMES = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK",
    "LSHO", "LELB", "LWRA", "LWRB", "LFIN", "RSHO", "RELB", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI", "SACR",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
)

_PLUGIN_GAIT_EDGES = (
    ("LFHD", "RFHD"), ("LBHD", "RBHD"), ("LFHD", "LBHD"), ("RFHD", "RBHD"),
    ("C7", "CLAV"), ("CLAV", "STRN"), ("C7", "T10"),
    ("LSHO", "RSHO"), ("LSHO", "LELB"), ("LELB", "LWRA"), ("RSHO", "RELB"), ("RELB", "RWRA"),
    ("LASI", "RASI"), ("LASI", "LPSI"), ("RASI", "RPSI"), ("LPSI", "RPSI"),
    ("LASI", "LKNE"), ("LKNE", "LANK"), ("LANK", "LHEE"), ("LANK", "LTOE"), ("LHEE", "LTOE"),
    ("RASI", "RKNE"), ("RKNE", "RANK"), ("RANK", "RHEE"), ("RANK", "RTOE"), ("RHEE", "RTOE"),
)


@dataclasses.dataclass(frozen=True)
class KeypointSet:
    """An ordered list of keypoint names with sides, mirrors and skeleton edges.

    Attributes:
        name: identifier, e.g. "mediapipe33" or "plugin_gait".
        names: the K keypoint names, in array order.
        edges: pairs of names joined by a bone (for drawing).
    """

    name: str
    names: tuple[str, ...]
    edges: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise InputError(f"keypoint set {self.name} has no {name!r}") from None

    def indices(self, names: Sequence[str]) -> list[int]:
        return [self.index(n) for n in names]

    def side(self, name: str) -> str:
        """"left", "right" or "center"."""
        return _side(name)

    @property
    def edge_indices(self) -> np.ndarray:
        """(E, 2) int indices of the skeleton edges."""
        return np.array([(self.index(a), self.index(b)) for a, b in self.edges], dtype=int
                        ).reshape(-1, 2)

    @property
    def mirror(self) -> np.ndarray:
        """(K,) int: index of each keypoint's left/right counterpart (itself on the midline)."""
        out = np.arange(len(self.names))
        for i, n in enumerate(self.names):
            m = _mirror_name(n)
            if m in self.names:
                out[i] = self.names.index(m)
        return out


def _side(name: str) -> str:
    low = name.lower()
    if low.startswith("left") or low.endswith("_left") or (name[:1] == "L" and name.isupper()):
        return "left"
    if low.startswith("right") or low.endswith("_right") or (name[:1] == "R" and name.isupper()):
        return "right"
    return "center"


def _mirror_name(name: str) -> str:
    for a, b in (("left", "right"), ("right", "left"), ("Left", "Right"), ("Right", "Left")):
        if a in name:
            return name.replace(a, b)
    if name.isupper() and name[:1] in "LR" and len(name) > 1 and name not in ("RBAK",):
        return ("R" if name[0] == "L" else "L") + name[1:]
    return name


MEDIAPIPE33 = KeypointSet("mediapipe33", MEDIAPIPE33_NAMES, _MEDIAPIPE33_EDGES)
PLUGIN_GAIT = KeypointSet("plugin_gait", PLUGIN_GAIT_NAMES, _PLUGIN_GAIT_EDGES)

KEYPOINT_SETS: dict[str, KeypointSet] = {s.name: s for s in (MEDIAPIPE33, PLUGIN_GAIT)}


def get_keypoint_set(name: str) -> KeypointSet:
    """Look up a keypoint set by name."""
    try:
        return KEYPOINT_SETS[name]
    except KeyError:
        raise InputError(f"unknown keypoint set {name!r}; known: {sorted(KEYPOINT_SETS)}") \
            from None


def identify_keypoint_set(names: Sequence[str]) -> KeypointSet | None:
    """The known set whose names equal ``names`` in order, else None."""
    for s in KEYPOINT_SETS.values():
        if tuple(names) == s.names:
            return s
    return None


#: mediapipe33 name -> Pose2Sim's BlazePose marker name (Pose2Sim/OpenSim_Setup/
#: Markers_BlazePose.xml of pose2sim 0.10.49), for TRC files that OpenSim's IK reads with that
#: marker set. Points it does not name (inner/outer eyes, ears, mouth) are not exported.
POSE2SIM_BLAZEPOSE = {
    "nose": "Nose", "left_eye": "LEye", "right_eye": "REye",
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder",
    "left_elbow": "LElbow", "right_elbow": "RElbow", "left_wrist": "LWrist",
    "right_wrist": "RWrist", "left_hip": "LHip", "right_hip": "RHip", "left_knee": "LKnee",
    "right_knee": "RKnee", "left_ankle": "LAnkle", "right_ankle": "RAnkle",
    "left_foot_index": "LBigToe", "left_heel": "LHeel", "right_foot_index": "RBigToe",
    "right_heel": "RHeel", "left_thumb": "LThumb", "right_thumb": "RThumb",
    "left_pinky": "LPinky", "right_pinky": "RPinky", "left_index": "LIndex",
    "right_index": "RIndex",
}


def to_opensim_names(points: np.ndarray, labels: Sequence[str]
                     ) -> tuple[np.ndarray, list[str]]:
    """(F, K, 3) points and labels renamed to Pose2Sim's BlazePose marker set (OpenSim);
    only the points that set names are kept. Raises InputError if none is a mediapipe33 name."""
    keep = [i for i, lb in enumerate(labels) if lb in POSE2SIM_BLAZEPOSE]
    if not keep:
        raise InputError("--opensim-names needs mediapipe33 keypoints (left_hip, left_heel...); "
                         f"these points are named {list(labels)[:6]}...")
    return np.asarray(points)[:, keep], [POSE2SIM_BLAZEPOSE[labels[i]] for i in keep]
