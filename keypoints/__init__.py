"""mocaplab.keypoints: see the README section for this stage."""
