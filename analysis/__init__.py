"""mocaplab.analysis: see the README section for this stage."""
