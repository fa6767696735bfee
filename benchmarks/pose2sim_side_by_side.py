"""Pose2Sim and mocaplab side by side on Pose2Sim's two-person demo, from the same 2D (issue 18).

Both reconstruct the scene from the same MediaPipe detections (2 poses per view, cached by
``persons_eval.py`` in ``--cache``). Pose2Sim is not a dependency of mocaplab and none of its
code is here: it runs in its own environment, on the detections this script writes as OpenPose
JSON (``--write-openpose``), with the demo's Config.toml (``pose_model = 'BLAZEPOSE'``,
``frame_rate = 60``, ``frame_range = 'all'``), ``Pose2Sim.calibration()``,
``personAssociation()``, ``triangulation()``, ``filtering()``. This script then reads its
filtered TRCs and compares, per person: frames with a hip centre, median distance between
the two reconstructions (hip centre and all common keypoints), bone-length variation, the
largest frame-to-frame hip-centre jump, and each one's distance to the single-person demo's
reconstruction of the man (mocaplab's, as in ``persons_eval.py``).

Usage (session 5: Pose2Sim 0.10.49 in a venv under /tmp, see docs/triangulation.md):
    .venv/bin/python benchmarks/persons_eval.py --only demos          # caches the detections
    .venv/bin/python benchmarks/pose2sim_side_by_side.py --write-openpose /tmp/p2s/project
    (cd /tmp/p2s/project && /tmp/p2s/venv/bin/python -c "from Pose2Sim import Pose2Sim; \\
        Pose2Sim.calibration(); Pose2Sim.personAssociation(); Pose2Sim.triangulation(); \\
        Pose2Sim.filtering()")
    .venv/bin/python benchmarks/pose2sim_side_by_side.py --pose2sim /tmp/p2s/project/pose-3d
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import persons_eval as pe  # noqa: E402

from mocaplab.calibration import load_calibration  # noqa: E402
from mocaplab.keypoint_sets import MEDIAPIPE33  # noqa: E402
from mocaplab.keypoints.poses2d import Poses2D  # noqa: E402
from mocaplab.marker_io import read_trc  # noqa: E402
from mocaplab.triangulation import FilterOptions  # noqa: E402
from mocaplab.triangulation.run import triangulate_persons  # noqa: E402

#: Pose2Sim's BLAZEPOSE marker names -> MediaPipe names.
P2S_NAMES = {"RHip": "right_hip", "RKnee": "right_knee", "RAnkle": "right_ankle",
             "RHeel": "right_heel", "RBigToe": "right_foot_index", "LHip": "left_hip",
             "LKnee": "left_knee", "LAnkle": "left_ankle", "LHeel": "left_heel",
             "LBigToe": "left_foot_index", "Nose": "nose", "REye": "right_eye",
             "LEye": "left_eye", "RShoulder": "right_shoulder", "RElbow": "right_elbow",
             "RWrist": "right_wrist", "RPinky": "right_pinky", "RIndex": "right_index",
             "RThumb": "right_thumb", "LShoulder": "left_shoulder", "LElbow": "left_elbow",
             "LWrist": "left_wrist", "LPinky": "left_pinky", "LIndex": "left_index",
             "LThumb": "left_thumb"}


def write_openpose(poses: Poses2D, out: Path) -> None:
    """OpenPose JSON per camera and frame (``pose/<cam>_json/<cam>_<frame>.json``)."""
    C, F, P, K, _ = poses.points.shape
    for c, cam in enumerate(poses.cameras):
        d = out / "pose" / f"{cam}_json"
        d.mkdir(parents=True, exist_ok=True)
        for f in range(F):
            people = []
            for p in range(P):
                xy = poses.points[c, f, p]
                if not np.isfinite(xy).any():
                    continue
                conf = np.where(np.isfinite(xy).all(-1), poses.confidence[c, f, p], 0.0)
                kp = np.concatenate([np.nan_to_num(xy), conf[:, None]], 1)
                people.append({"person_id": [-1], "pose_keypoints_2d": kp.ravel().tolist()})
            (d / f"{cam}_{f:06d}.json").write_text(json.dumps({"version": 1.3,
                                                               "people": people}))


def read_pose2sim(folder: Path) -> list[np.ndarray]:
    """Each person's filtered TRC as (F, 33, 3) in MediaPipe order (NaN for keypoints Pose2Sim
    does not output), in Pose2Sim's Y-up frame."""
    out = []
    for path in sorted(folder.glob("*_P*_filt_*.trc")):
        mt = read_trc(path)
        X = np.full((mt.points.shape[0], len(MEDIAPIPE33), 3), np.nan)
        for i, label in enumerate(mt.labels):
            name = P2S_NAMES.get(label) or P2S_NAMES.get(label[:1] + label[1:].capitalize())
            if name:
                X[:, MEDIAPIPE33.index(name)] = mt.points[:, i]
        scale = 0.001 if np.nanmax(np.abs(X)) > 50 else 1.0  # read_trc may give mm
        out.append(X * scale)
    return out


def to_lab(X: np.ndarray, ref: np.ndarray) -> tuple[float, tuple, tuple]:
    """Pose2Sim's axes onto the lab's: the signed axis permutation that brings the hip centres
    nearest to ``ref`` (our reconstruction of the same scene): (distance, perm, signs)."""
    best = None
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            Y = X[..., list(perm)] * np.array(signs)
            d = float(np.nanmedian(np.linalg.norm(pe.hip_centre(Y) - ref, axis=-1)))
            if best is None or d < best[0]:
                best = (d, perm, signs)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "mocaplab_persons_eval")
    ap.add_argument("--write-openpose", type=Path, metavar="PROJECT")
    ap.add_argument("--pose2sim", type=Path, metavar="POSE3D_DIR")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    multi = Poses2D.load(args.cache / "multi_poses2.npz")
    if args.write_openpose:
        write_openpose(multi, args.write_openpose)
        print(f"wrote OpenPose JSON of {multi.points.shape[:3]} (cameras, frames, poses) under "
              f"{args.write_openpose / 'pose'}")
    if not args.pose2sim:
        return 0
    warnings.simplefilter("ignore", RuntimeWarning)
    cams = load_calibration(pe.SINGLE / "calibration" / "Calib.qca.txt")
    single = triangulate_persons(Poses2D.load(args.cache / "single_poses2.npz"), cams,
                                 filtering=FilterOptions())
    man = pe.hip_centre(single.subject_result.points.points)
    mcams = load_calibration(pe.multi_person_demo(args.cache) / "calibration" / "Calib.qca.txt")
    ours = triangulate_persons(multi, mcams, filtering=FilterOptions())
    theirs = read_pose2sim(args.pose2sim)
    if not theirs:
        print(f"no Pose2Sim *_filt_*.trc in {args.pose2sim}")
        return 1
    F = min([len(t) for t in theirs] + [ours.persons[0].points.points.shape[0], len(man)])
    theirs = [t[:F] for t in theirs]
    man = man[:F]
    ref = pe.hip_centre(ours.persons[0].points.points[:F])
    # one axis mapping for all of Pose2Sim's persons: the one that fits our P1 best among them
    _, perm, signs = min(to_lab(t, ref) for t in theirs)
    axes = f"lab = pose2sim{list(perm)} x {signs}"
    theirs = [t[..., list(perm)] * np.array(signs) for t in theirs]
    common = [MEDIAPIPE33.index(n) for n in P2S_NAMES.values()]
    res = {"axes": axes, "persons": []}
    print(f"Two-person demo, same MediaPipe 2D (2 poses per view); Pose2Sim axes -> lab: {axes}")
    for p in ours.persons:
        X = p.points.points[:F]
        hc = pe.hip_centre(X)
        d = [np.nanmedian(np.linalg.norm(pe.hip_centre(T) - hc, axis=-1)) for T in theirs]
        t = int(np.nanargmin(d))
        T = theirs[t]
        kp = np.linalg.norm(T[:, common] - X[:, common], axis=-1)
        row = {"ours": p.person_id, "pose2sim": f"P{t}",
               "hip_centre_distance_median_m": float(d[t]),
               "keypoint_distance_median_m": float(np.nanmedian(kp)),
               "keypoint_distance_p90_m": float(np.nanpercentile(kp, 90)),
               "ours_hip_frames_pct": float(100 * np.isfinite(hc).all(-1).mean()),
               "pose2sim_hip_frames_pct": float(100 * np.isfinite(pe.hip_centre(T)).all(-1)
                                                .mean()),
               "ours_bone_cv_pct": pe.bone_cv_pct(X),
               "pose2sim_bone_cv_pct": pe.bone_cv_pct(T),
               "ours_max_jump_m": float(np.nanmax(np.linalg.norm(np.diff(hc, axis=0), axis=-1))),
               "pose2sim_max_jump_m": float(np.nanmax(np.linalg.norm(
                   np.diff(pe.hip_centre(T), axis=0), axis=-1))),
               "ours_to_single_demo_man_m": float(np.nanmedian(np.linalg.norm(hc - man,
                                                                              axis=-1))),
               "pose2sim_to_single_demo_man_m": float(np.nanmedian(np.linalg.norm(
                   pe.hip_centre(T) - man, axis=-1)))}
        res["persons"].append(row)
        print(f"  ours {row['ours']} <-> Pose2Sim {row['pose2sim']}: hip centres "
              f"{100 * row['hip_centre_distance_median_m']:.1f} cm apart (median), keypoints "
              f"{100 * row['keypoint_distance_median_m']:.1f} / "
              f"{100 * row['keypoint_distance_p90_m']:.1f} cm (median / p90); hip centre in "
              f"{row['ours_hip_frames_pct']:.0f} / {row['pose2sim_hip_frames_pct']:.0f} % of "
              f"frames; bone-length CV {row['ours_bone_cv_pct']:.2f} / "
              f"{row['pose2sim_bone_cv_pct']:.2f} %; largest jump "
              f"{row['ours_max_jump_m']:.3f} / {row['pose2sim_max_jump_m']:.3f} m; to the "
              f"single-person demo's man {100 * row['ours_to_single_demo_man_m']:.1f} / "
              f"{100 * row['pose2sim_to_single_demo_man_m']:.1f} cm (ours / Pose2Sim)")
    if args.out:
        args.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
