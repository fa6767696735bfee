#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite. Real sample data and the pose model are used
# when ../shared is beside the repository (or the variables below are already set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -d ../shared/data ]; then
  export MOCAPLAB_SHARED_DATA=${MOCAPLAB_SHARED_DATA:-$(cd ../shared/data && pwd)}
fi
if [ -f ../shared/models/pose_landmarker_full.task ]; then
  export MOCAPLAB_POSE_MODEL=${MOCAPLAB_POSE_MODEL:-$(cd ../shared/models && pwd)/pose_landmarker_full.task}
fi
# A throw-away PostgreSQL on loopback: the index and API tests run on it as well as on SQLite.
source scripts/postgres.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
