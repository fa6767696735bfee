"""mocaplab.calibration: see the README section for this stage."""
