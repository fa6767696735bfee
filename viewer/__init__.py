"""mocaplab.viewer: see the README section for this stage."""
