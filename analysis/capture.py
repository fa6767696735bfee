"""The ``capture`` section of metrics.json: who was measured and how well each camera saw them.

From the record triangulation adds to ``points3d.npz`` (:mod:`mocaplab.triangulation.persons3d`):

```json
"capture": {
  "subject": "P1", "subject_rule": "most camera-frames", "persons_tracked_n": 2,
  "persons": [{"id": "P1", "camera_frames": 367, "subject": true},
              {"id": "P2", "camera_frames": 313, "subject": false}],
  "cameras": [{"camera": "cam01", "frames_associated_pct": 100.0, "views_kept_pct": 94.1,
               "median_error_px": 12.3, "median_error_mm": 21.0, "disagreement_pct": 0.0}],
  "camera_views_kept_min_pct": 74.2,
  "warnings": ["views disagree: camera cam03 sees somebody other than the subject P1 ..."]
}
```

Inputs without such a record (C3D, TRC, older points3d.npz) get ``{}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _pct(x: Any) -> float | None:
    return None if x is None else round(100.0 * float(x), 2)


def capture_section(record: Mapping[str, Any] | None) -> dict:
    """metrics.json's ``capture`` section from a triangulation record (module doc)."""
    if not record:
        return {}
    subject = record.get("person_id")
    persons = [{"id": pid, "camera_frames": int(n), "subject": pid == subject}
               for pid, n in zip(record.get("persons", []),
                                 record.get("person_camera_frames", []), strict=False)]
    cameras = [{"camera": h["camera"],
                "frames_associated_pct": _pct(h.get("frames_associated")),
                "views_kept_pct": _pct(h.get("views_kept")),
                "median_error_px": h.get("median_error_px"),
                "median_error_mm": h.get("median_error_mm"),
                "disagreement_pct": _pct(h.get("disagreement"))}
               for h in record.get("camera_health", [])]
    kept = [c["views_kept_pct"] for c in cameras if c["views_kept_pct"] is not None]
    return {"subject": subject, "subject_rule": record.get("subject_rule"),
            "persons_tracked_n": len(persons), "persons": persons, "cameras": cameras,
            "camera_views_kept_min_pct": min(kept) if kept else None,
            "warnings": list(record.get("warnings", []))}
