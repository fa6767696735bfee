"""Downloads: trial exports (CSV, JSON, C3D, TRC, FHIR, report), progress report, compare."""

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from mocaplab.api import schemas
from mocaplab.api.deps import (
    ERRORS,
    MEDIA,
    IdPath,
    Reader,
    State,
    TrialDep,
    TrialKeyQuery,
    find_trial,
    ident,
    needs_metrics,
)
from mocaplab.reporting import exports, labdata
from mocaplab.reporting.paths import ID_PATTERN, TrialRef, safe_join
from mocaplab.trial import Trial

router = APIRouter()


@router.get("/v1/trials/{subject}/{session}/{trial}/export/{fmt}", responses={
       **ERRORS, 200: {"content": {m: {} for m in dict.fromkeys(MEDIA.values())},
                       "description": "the file"}},
       summary="Download: csv, json, c3d, trc, fhir (R4 bundle), pdf or html report",
       response_class=Response)
def export(_: Reader, state: State, t: TrialDep,
           fmt: Annotated[str, PathParam(pattern="^(csv|json|c3d|trc|fhir|pdf|html)$")],
           pseudonymise: bool = False,
           kind: Annotated[str, Query(pattern="^(summary|angles|points)$")] = "summary"
           ) -> Response:
    ref, path = t
    idt = ident(state, ref, pseudonymise)
    if fmt in ("c3d", "trc") and not Trial(path).points3d_path.is_file():
        raise HTTPException(404, f"trial {ref.key} has no points3d.npz to export")
    if fmt not in ("c3d", "trc") and not (kind == "points" and fmt == "csv"):
        needs_metrics(path, ref)
    with tempfile.TemporaryDirectory(prefix="mocaplab-export-") as tmp:
        if fmt == "fhir":
            from mocaplab.reporting.fhir import observation_bundle

            body = exports.dumps(observation_bundle(path, idt)).encode()
            name = exports.export_filename(idt, "json").replace(".json", ".fhir.json")
        elif fmt in ("pdf", "html"):
            from mocaplab.reporting.report import write_report

            files = write_report(path, Path(tmp), state.normative_dir,
                                 pseudonymise=pseudonymise, pseudonym_key=state.pseudonym_key,
                                 key_frames=state.key_frames)
            body = files[fmt].read_bytes()
            name = exports.export_filename(idt, fmt)
        else:
            out = exports.write_export(path, Path(tmp) / f"export.{fmt}", fmt, idt, kind)
            body = out.read_bytes()
            name = exports.export_filename(idt, fmt, kind)
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/v1/subjects/{subject}/progress-report", response_class=Response,
            responses={**ERRORS, 200: {"content": {"application/pdf": {}, "text/html": {}}}},
            summary="Progress report between two sessions of a subject (PDF or HTML)")
def progress_report(_: Reader, state: State, subject: IdPath,
                    before: Annotated[str, Query(pattern=ID_PATTERN)],
                    after: Annotated[str, Query(pattern=ID_PATTERN)],
                    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",  # noqa: A002
                    pseudonymise: bool = False) -> Response:
    from mocaplab.reporting.progress import write_progress_report

    if pseudonymise and not state.pseudonym_key:
        raise HTTPException(400, "pseudonymisation is not configured on this server")
    lab = state.lab_dir
    if not safe_join(lab, subject).is_dir():
        raise HTTPException(404, f"subject {subject} not found")
    with tempfile.TemporaryDirectory(prefix="mocaplab-progress-") as tmp:
        files = write_progress_report(lab, subject, before, after, Path(tmp),
                                      state.normative_dir, pseudonymise=pseudonymise,
                                      pseudonym_key=state.pseudonym_key,
                                      key_frames=state.key_frames)
        body = files[format].read_bytes()
    label = exports.ExportIdentity.make(subject, before, after, state.pseudonym_key,
                                        pseudonymise).subject
    return Response(body, media_type=MEDIA[format], headers={
        "Content-Disposition": f'attachment; filename="{label}_progress_{before}_{after}.'
                               f'{format}"'})


@router.get("/v1/compare", response_model=schemas.CompareOut, responses=ERRORS,
            summary="Compare two trials (b - a)")
def compare_trials(_: Reader, state: State, a: TrialKeyQuery, b: TrialKeyQuery) -> dict[str, Any]:
    from mocaplab.reporting.progress import compare, trial_key_metrics

    refs = [TrialRef.parse(a), TrialRef.parse(b)]
    paths = [find_trial(state, r.subject, r.session, r.trial)[1] for r in refs]
    ms = [needs_metrics(p, r) for p, r in zip(paths, refs, strict=True)]
    rows = compare(trial_key_metrics(paths[0]), trial_key_metrics(paths[1]))
    st_a = {r["name"]: r for r in labdata.spatiotemporal_rows(ms[0])}
    st = []
    for r in labdata.spatiotemporal_rows(ms[1]):
        ra = st_a.get(r["name"], {})
        st.append({"name": r["name"], "unit": r["unit"],
                   **{f"{side}_a": ra.get(side) for side in ("left", "right")},
                   **{f"{side}_b": r[side] for side in ("left", "right")},
                   "symmetry_index_pct_a": ra.get("symmetry_index_pct"),
                   "symmetry_index_pct_b": r["symmetry_index_pct"]})
    return {"a": refs[0].key, "b": refs[1].key, "spatiotemporal": st,
            "rows": [{"metric": r["metric"].key, "unit": r["metric"].unit, "a": r["before"],
                      "b": r["after"], "difference": r["change"], "verdict": r["verdict"]}
                     for r in rows]}
