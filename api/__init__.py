"""mocaplab.api: see the README section for this stage."""
