"""2D agreement of our MediaPipe keypoints with Pose2Sim's reference on the Pose2Sim demo.

The reference is Pose2Sim's own 3D output for the same videos (OpenPose BODY_25B, triangulated
with the Qualisys calibration), reprojected into every camera with that calibration. It is a
markerless reference, NOT ground truth: the distances below mix our detector's error, OpenPose's
error, triangulation and calibration error, and the different anatomical definitions of the two
models (the hips differ most). They show that our points are pixels of the distorted image of
the right camera, on the right body part, and how far the two detectors agree.

    MOCAPLAB_SHARED_DATA=../shared/data \\
    MOCAPLAB_POSE_MODEL=../shared/models/pose_landmarker_full.task \\
    .venv/bin/python benchmarks/keypoints_accuracy.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

PAIRS = {  # Pose2Sim TRC marker -> MediaPipe keypoint
    "Nose": "nose", "RShoulder": "right_shoulder", "LShoulder": "left_shoulder",
    "RElbow": "right_elbow", "LElbow": "left_elbow", "RWrist": "right_wrist",
    "LWrist": "left_wrist", "RHip": "right_hip", "LHip": "left_hip", "RKnee": "right_knee",
    "LKnee": "left_knee", "RAnkle": "right_ankle", "LAnkle": "left_ankle", "RHeel": "right_heel",
    "LHeel": "left_heel", "RBigToe": "right_foot_index", "LBigToe": "left_foot_index",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = Path(os.environ.get("MOCAPLAB_SHARED_DATA", "../shared/data"))
    parser.add_argument("--demo", type=Path, default=shared / "pose2sim_demo_singleperson")
    parser.add_argument("--model", default=os.environ.get("MOCAPLAB_POSE_MODEL"))
    parser.add_argument("--keypoints", type=Path, help="an existing keypoints2d.npz to score")
    args = parser.parse_args()

    from mocaplab.camera import CameraSet
    from mocaplab.keypoints import detect_trial
    from mocaplab.marker_io import read_trc
    from mocaplab.pose_data import Keypoints2D

    ref_dir = args.demo / "reference_S00_demo_commit_a948c205cf"
    cams = CameraSet.load(ref_dir / "S00_Calibration" / "Calib_qualisys.toml")
    trc = read_trc(next((ref_dir / "S00_P00_SingleParticipant" / "S00_P00_T01_BalancingTrial"
                         / "pose-3d").glob("*_0-100.trc")))
    xyz = trc.points[..., [2, 0, 1]]  # Pose2Sim Y-up TRC -> calibration frame (see README)

    if args.keypoints:
        kp = Keypoints2D.load(args.keypoints)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            trial = Path(tmp) / "demo"
            trial.mkdir()
            (trial / "videos").symlink_to((args.demo / "videos").resolve())
            kp = Keypoints2D.load(detect_trial(trial, model_path=args.model, progress=False))

    F = min(kp.shape[1], xyz.shape[0])
    names = list(PAIRS)
    ref_idx = [trc.labels.index(n) for n in names]
    our_idx = [kp.keypoints.index(PAIRS[n]) for n in names]
    print(f"{F} frames; median distance (px) between our 2D keypoints and the reprojected "
          "Pose2Sim reference\n")
    print("| keypoint | " + " | ".join(kp.cameras) + " |")
    print("|---|" + "---|" * len(kp.cameras))
    dist = np.full((len(kp.cameras), F, len(names)), np.nan)
    heights = []
    for c, cam in enumerate(cams):
        proj = cam.project(xyz[:F, ref_idx].reshape(-1, 3)).reshape(F, len(names), 2)
        ours = kp.points[c, :F][:, our_idx]
        dist[c] = np.linalg.norm(ours - proj, axis=-1)
        nose, ankle = names.index("Nose"), names.index("RAnkle")
        heights.append(np.nanmedian(np.linalg.norm(proj[:, nose] - proj[:, ankle], axis=-1)))
    for j, n in enumerate(names):
        print(f"| {PAIRS[n]} | " +
              " | ".join(f"{np.nanmedian(dist[c, :, j]):.1f}" for c in range(len(cams))) + " |")
    no_hips = [j for j, n in enumerate(names) if not n.endswith("Hip")]
    print("| **all but hips** | " + " | ".join(
        f"**{np.nanmedian(dist[c][:, no_hips]):.1f}**" for c in range(len(cams))) + " |")
    print("| nose-to-ankle height (px) | " + " | ".join(f"{h:.0f}" for h in heights) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
