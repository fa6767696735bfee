"""The ``capture`` section of metrics.json: who was measured and how well each camera saw them.

From the record triangulation adds to ``points3d.npz`` (:mod:`mocaplab.triangulation.persons3d`):

```json
"capture": {
  "subject": "P1", "subject_rule": "most camera-frames", "persons_tracked_n": 2,
  "persons": [{"id": "P1", "camera_frames": 367, "tracked_frames_pct": 100.0, "subject": true},
              {"id": "P2", "camera_frames": 313, "tracked_frames_pct": 92.0, "subject": false}],
  "cameras": [{"camera": "cam01", "frames_associated_pct": 100.0, "views_kept_pct": 94.1,
               "median_error_px": 12.3, "median_error_mm": 21.0, "disagreement_pct": 0.0}],
  "camera_views_kept_min_pct": 74.2,
  "warnings": ["views disagree: camera cam03 sees somebody other than the subject P1 ..."]
}
```

Inputs without such a record (C3D, TRC, older points3d.npz) get ``{}``.

:func:`person_summary` and :func:`camera_rows` word the section for the report and the viewer
(one wording for both).
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
    ids = record.get("persons", [])
    tracked = record.get("person_tracked_frames") or [None] * len(ids)
    persons = [{"id": pid, "camera_frames": int(n), "tracked_frames_pct": _pct(t),
                "subject": pid == subject}
               for pid, n, t in zip(ids, record.get("person_camera_frames", []), tracked,
                                    strict=False)]
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


def _tracked(p: Mapping[str, Any]) -> str:
    t = p.get("tracked_frames_pct")
    return f"tracked in {t:.0f} % of frames" if isinstance(t, int | float) else "tracking unknown"


def person_summary(section: Mapping[str, Any] | None) -> str:
    """Who was analysed, on two lines: "P1 (most camera-frames), tracked in 100 % of frames" /
    "2 persons tracked; also present: P2 (313 camera-frames, 92 % of frames)"; "" for inputs
    without a capture section (marker files)."""
    if not section or not section.get("subject"):
        return ""
    persons = list(section.get("persons") or [])
    me = next((p for p in persons if p.get("subject")), {})
    rule = section.get("subject_rule") or "rule not recorded"
    line = f"{section['subject']} ({rule}), {_tracked(me)}" if me else f"{section['subject']}"
    others = [p for p in persons if not p.get("subject")]
    if not others:
        return f"{line}; nobody else tracked"
    def frames(p: Mapping[str, Any]) -> str:
        t = p.get("tracked_frames_pct")
        return f", {t:.0f} % of frames" if isinstance(t, int | float) else ""

    return (f"{line}\n{len(persons)} persons tracked; also present: "
            + ", ".join(f"{p['id']} ({p['camera_frames']} camera-frames{frames(p)})"
                        for p in others))


def person_lines(section: Mapping[str, Any] | None) -> str:
    """The same, short, on two lines for the viewer's panel: "person analysed: P1, tracked in
    100 % of frames" / "also present: P2" (or "nobody else tracked"); "" without a section."""
    if not section or not section.get("subject"):
        return ""
    persons = list(section.get("persons") or [])
    me = next((p for p in persons if p.get("subject")), {})
    others = [str(p["id"]) for p in persons if not p.get("subject")]
    return (f"person analysed: {section['subject']}, {_tracked(me)}\n"
            + (f"also present: {', '.join(others)}" if others else "nobody else tracked"))


def camera_rows(section: Mapping[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    """(camera, frames with the subject %, views kept %, median error "px / mm", other person
    seen %) per camera, as text; [] without a capture section."""
    def num(v: Any, fmt: str) -> str:
        return format(v, fmt) if isinstance(v, int | float) else "-"

    return [(str(c.get("camera")), num(c.get("frames_associated_pct"), ".0f"),
             num(c.get("views_kept_pct"), ".1f"),
             f"{num(c.get('median_error_px'), '.1f')} px / "
             f"{num(c.get('median_error_mm'), '.0f')} mm",
             num(c.get("disagreement_pct"), ".0f"))
            for c in (section or {}).get("cameras") or []]
