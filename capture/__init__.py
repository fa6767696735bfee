"""mocaplab.capture: see the README section for this stage."""
