"""mocaplab.triangulation: see the README section for this stage."""
