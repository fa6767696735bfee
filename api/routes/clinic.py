"""The clinic's web pages, served by the results API under ``/clinic``.

Subjects and visits, a trial's report and metrics with normal ranges, downloads, the
before/after comparison (video on the real footage, key frames, metric table) and the progress
report; a 3D replay of the skeleton (three.js, vendored in ``clinic_static/``, no CDN).

Authentication is the API's own: the same tokens and roles (:mod:`mocaplab.api.auth`). A
browser cannot add an ``Authorization`` header to page loads, ``<video>`` or ``<img>``, so the
login form (``POST /clinic/login``) checks the token and stores *that token* in an HttpOnly,
SameSite=Strict cookie scoped to ``/clinic`` (session cookie; ``Secure`` behind HTTPS). Every
clinic route reads the token from the ``Authorization: Bearer`` header or from that cookie, and
nothing but the login form is served without one. Operator actions (process a trial again,
re-index) are POSTs that need the operator role *and* a CSRF header derived from the token
(HMAC, so another site cannot forge it); a clinician's page does not show them and the server
refuses them (403). The ``/v1`` API itself accepts only the header.

Wiring: :func:`install` adds the router to an app made by :func:`mocaplab.api.create_app`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mocaplab import sides as side_colours
from mocaplab.api import clinic_html as H
from mocaplab.api.auth import Principal
from mocaplab.errors import InputError
from mocaplab.reporting.db import SessionRow, Subject, contains_text
from mocaplab.reporting.paths import ID_PATTERN, TrialRef, lab_state_dir, safe_join, trial_path
from mocaplab.trial import Trial

COOKIE = "mocaplab_clinic"
CSRF_HEADER = "x-mocaplab-csrf"
STATIC_DIR = Path(__file__).resolve().parent.parent / "clinic_static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".txt": "text/plain"}
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; form-action 'self'; "
            "base-uri 'none'")
REPLAY_MAX_FRAMES = 600
IdPath = Annotated[str, PathParam(pattern=ID_PATTERN, max_length=64)]
KeyQuery = Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_.\-/]{5,200}$")]
ViewQuery = Annotated[str, Query(pattern="^(front|side)$")]

router = APIRouter(prefix="/clinic", include_in_schema=False)


class ClinicState:
    """Per-app state of the clinic pages: one lock per comparison being made."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def install(app: FastAPI) -> None:
    """Serve the clinic pages from ``app`` (an app made by create_app)."""
    app.state.clinic = ClinicState()
    app.include_router(router)


# --- authentication ----------------------------------------------------------------------------
def _api(request: Request):
    return request.app.state.mocaplab


def presented_token(request: Request) -> str | None:
    """The token of a request: ``Authorization: Bearer`` header, else the clinic cookie."""
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


def csrf_token(token: str) -> str:
    """The CSRF value of a token: HMAC-SHA256 keyed by the token (unguessable without it)."""
    return hmac.new(token.encode(), b"mocaplab-clinic-csrf", hashlib.sha256).hexdigest()[:32]


def _authenticate(request: Request) -> Principal | None:
    p = _api(request).tokens.authenticate(presented_token(request))
    if p is not None:
        request.state.principal = p
    return p


def reader(request: Request) -> Principal:
    """Any valid token (clinician or operator); else 401."""
    p = _authenticate(request)
    if p is None:
        raise HTTPException(401, "log in at /clinic/login (or send a bearer token)",
                            headers={"WWW-Authenticate": "Bearer"})
    return p


def page_reader(request: Request) -> Principal:
    """Like :func:`reader`, but a browser without a token is sent to the login form."""
    p = _authenticate(request)
    if p is None:
        raise HTTPException(303, "log in first", headers={
            "Location": "/clinic/login", "WWW-Authenticate": "Bearer"})
    return p


def operator_action(request: Request, who: Annotated[Principal, Depends(reader)]) -> Principal:
    """Operator role and a matching CSRF header; else 403."""
    if not who.may("operator"):
        raise HTTPException(403, "this action needs the operator role")
    token = presented_token(request) or ""
    if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), csrf_token(token)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
    return who


Reader = Annotated[Principal, Depends(reader)]
PageReader = Annotated[Principal, Depends(page_reader)]
Operator = Annotated[Principal, Depends(operator_action)]


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": PAGE_CSP})


def _page(request: Request, title: str, body: str, who: Principal,
          scripts: tuple[str, ...] = ()) -> HTMLResponse:
    tok = presented_token(request) or ""
    return _html(H.page(title, body, who, csrf=csrf_token(tok) if who.may("operator") else "",
                        scripts=scripts))


# --- login --------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    return _html(H.login_page())


@router.post("/login")
async def login(request: Request) -> Response:
    body = (await request.body())[:8192].decode("utf-8", "replace")
    form = parse_qs(body)
    token = (form.get("token") or [""])[0].strip()
    nxt = (form.get("next") or ["/clinic/"])[0]
    if not nxt.startswith("/clinic/") or "//" in nxt or "\\" in nxt:
        nxt = "/clinic/"
    if _api(request).tokens.authenticate(token) is None:
        return _html(H.login_page("Unknown token: check it and try again."), 401)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/clinic",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout() -> Response:
    resp = RedirectResponse("/clinic/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/clinic")
    return resp


@router.get("/static/{name}")
def static(_: Reader, name: Annotated[str, PathParam(pattern=r"^[a-z0-9_.\-]{1,64}$")]
           ) -> Response:
    path = STATIC_DIR / name
    if ".." in name or path.suffix not in STATIC_TYPES or not path.is_file():
        raise HTTPException(404, f"no static file {name}")
    return FileResponse(path, media_type=STATIC_TYPES[path.suffix],
                        headers={"Cache-Control": "private, max-age=3600"})


# --- subjects -----------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def subjects(request: Request, who: PageReader,
             q: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    with Session(_api(request).engine) as db:
        base = select(Subject).order_by(Subject.code).limit(500)
        if q:
            base = base.where(contains_text(Subject.code, q))
        rows = db.scalars(base.options(selectinload(Subject.sessions)
                                       .selectinload(SessionRow.trials))).all()
        items = [(H.link(H.url(f"/clinic/subjects/{s.code}"), s.code), s.sex, s.age,
                  len(s.sessions), sum(len(se.trials) for se in s.sessions),
                  ", ".join(sorted(filter(None, (se.date for se in s.sessions)))) or "-")
                 for s in rows]
    search = (f"<form method='get' class='search'><input name='q' value='{H.e(q or '')}' "
              "placeholder='subject code' aria-label='search subjects'>"
              "<button type='submit'>Search</button></form>")
    body = search + H.table(("Subject", "Sex", "Age", "Visits", "Trials", "Visit dates"),
                            items, "subjects", raw_cols=(0,))
    if who.may("operator"):
        body += ("<section class='operator'><h2>Operator</h2><button type='button' "
                 "data-action='/clinic/actions/index' id='reindex'>Re-index the lab folder"
                 "</button><span class='status' aria-live='polite'></span></section>")
    return _page(request, "Subjects", body, who, ("clinic.js",) if who.may("operator") else ())


def _subject_sessions(request: Request, subject: str) -> list[dict[str, Any]]:
    with Session(_api(request).engine) as db:
        s = db.scalar(select(Subject).where(Subject.code == subject)
                      .options(selectinload(Subject.sessions).selectinload(SessionRow.trials)))
        if s is None:
            raise HTTPException(404, f"subject {subject} not found")
        return [{"code": se.code, "date": se.date,
                 "trials": [{"code": t.code, "status": t.status, "key": t.key}
                            for t in sorted(se.trials, key=lambda t: t.code)]}
                for se in sorted(s.sessions, key=lambda x: (x.date or "", x.code))]


@router.get("/subjects/{subject}", response_class=HTMLResponse)
def subject_page(request: Request, who: PageReader, subject: IdPath) -> HTMLResponse:
    sessions = _subject_sessions(request, subject)
    parts = []
    for se in sessions:
        rows = [(H.link(H.url(f"/clinic/trials/{t['key']}"), t["code"]), t["status"])
                for t in se["trials"]]
        parts.append(f"<section class='visit'><h2>Visit {H.e(se['code'])} "
                     f"<small>{H.e(se['date'] or 'date unknown')}</small></h2>"
                     + H.table(("Trial", "Status"), rows, raw_cols=(0,)) + "</section>")
    analysed = [(t["key"], f"{se['code']} / {t['code']}") for se in sessions
                for t in se["trials"] if t["status"] == "analyzed"]
    if len(analysed) >= 2:
        parts.append(
            "<section class='compare-form'><h2>Before / after</h2>"
            "<form method='get' action='/clinic/compare'>"
            f"<label>Before {H.select('a', analysed, analysed[0][0])}</label> "
            f"<label>After {H.select('b', analysed, analysed[-1][0])}</label> "
            f"<label>View {H.select('view', [('front', 'front'), ('side', 'side')])}</label> "
            "<button type='submit' id='compare'>Compare</button></form></section>")
    else:
        parts.append("<p class='note'>A before/after comparison needs two analysed trials.</p>")
    visits = [se["code"] for se in sessions if any(t["status"] == "analyzed"
                                                   for t in se["trials"])]
    if len(visits) >= 2:
        opts = [(v, v) for v in visits]
        parts.append(
            "<section><h2>Progress report</h2><form method='get' action='/clinic/progress'>"
            f"<input type='hidden' name='subject' value='{H.e(subject)}'>"
            f"<label>Before {H.select('before', opts, visits[0])}</label> "
            f"<label>After {H.select('after', opts, visits[-1])}</label> "
            f"<label>Format {H.select('format', [('html', 'page'), ('pdf', 'PDF')])}</label> "
            "<button type='submit' id='progress'>Open</button></form></section>")
    return _page(request, f"Subject {subject}", "".join(parts), who)


# --- trials -------------------------------------------------------------------------------------
def _trial(request: Request, subject: str, session: str, trial: str) -> tuple[TrialRef, Path]:
    ref = TrialRef(subject, session, trial)
    path = trial_path(_api(request).lab_dir, ref)
    if not Trial(path).meta_path.is_file():
        raise HTTPException(404, f"trial {ref.key} not found")
    return ref, path


def _fmt(v: Any, unit: str = "") -> str:
    from mocaplab.reporting.report import fmt_value

    return fmt_value(v, unit) if isinstance(v, int | float) else ("-" if v is None else str(v))


DOWNLOADS = (("pdf", "Clinical report (PDF)"), ("html", "Clinical report (HTML)"),
             ("csv", "Metrics (CSV)"), ("json", "Metrics (JSON)"), ("c3d", "3D points (C3D)"),
             ("trc", "3D points (TRC)"), ("fhir", "FHIR bundle"))


@router.get("/trials/{subject}/{session}/{trial}", response_class=HTMLResponse)
def trial_page(request: Request, who: PageReader, subject: IdPath, session: IdPath,
               trial: IdPath) -> HTMLResponse:
    from mocaplab.reporting import labdata

    ref, path = _trial(request, subject, session, trial)
    meta = labdata.load_meta(path)
    status = labdata.trial_status(path)
    base = f"/clinic/trials/{ref.key}"
    facts = [("Subject", H.link(H.url(f"/clinic/subjects/{subject}"), subject)),
             ("Visit", H.e(session)), ("Trial", H.e(trial)),
             ("Date", H.e(str(meta.get("date") or meta.get("created") or "-")[:19])),
             ("Status", H.e(str(status.get("status", "-")))),  # it read "stage": always "-"
             ("Cameras", H.e(str(len(meta.get("cameras") or [])))),
             ("Source", H.e(str(meta.get("source") or meta.get("footage") or "camera footage")))]
    body = ["<dl class='facts'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
            + "</dl>"]
    if Trial(path).metrics_path.is_file():
        body.append(_metrics_section(request, path))
        dl = "".join(f"<li>{H.link(H.url(f'{base}/download/{f}'), t)}</li>"
                     for f, t in DOWNLOADS)
        body.append(f"<section><h2>Report and downloads</h2><p>"
                    f"{H.link(H.url(f'{base}/report'), 'Open the clinical report')}</p>"
                    f"<ul class='downloads'>{dl}</ul></section>")
        others = [(t["key"], f"{se['code']} / {t['code']}")
                  for se in _subject_sessions(request, subject) for t in se["trials"]
                  if t["status"] == "analyzed" and t["key"] != ref.key]
        if others:
            body.append("<section><h2>Compare with another visit</h2>"
                        "<form method='get' action='/clinic/compare'>"
                        f"<input type='hidden' name='b' value='{H.e(ref.key)}'>"
                        f"<label>Before {H.select('a', others)}</label> "
                        "<button type='submit'>Compare</button></form></section>")
    else:
        body.append("<p class='note'>Not analysed yet: no metrics.</p>")
    if Trial(path).points3d_path.is_file():
        body.append(f"<section><h2>3D replay</h2><div id='replay' data-src="
                    f"'{H.url(f'{base}/replay.json')}'><canvas></canvas><div class='controls'>"
                    "<button type='button' class='play'>Play</button>"
                    "<input type='range' class='scrub' min='0' value='0' aria-label='frame'>"
                    "<span class='time'></span></div></div>"
                    f"<p class='note'>Drag to turn the view; {side_colours.LEGEND}.</p>"
                    "</section>")
    if who.may("operator"):
        body.append(f"<section class='operator'><h2>Operator</h2><button type='button' "
                    f"id='process' data-action='{H.e('/clinic/actions/process/' + ref.key)}'>"
                    "Process this trial again</button><span class='status' aria-live='polite'>"
                    "</span></section>")
    return _page(request, f"Trial {ref.key}", "".join(body), who, ("clinic.js",))


def _metrics_section(request: Request, path: Path) -> str:
    from mocaplab.reporting import labdata
    from mocaplab.reporting.exports import ExportIdentity
    from mocaplab.reporting.report import build_content, label_of

    ref = TrialRef(path.parent.parent.name, path.parent.name, path.name)
    content = build_content(path, ExportIdentity.make(ref.subject, ref.session, ref.trial,
                                                      None, False),
                            _api(request).normative_dir)
    rows = [(r["label"], r["unit"], _fmt(r["left"], r["unit"]), _fmt(r["right"], r["unit"]),
             _fmt(r["symmetry_index_pct"], "%"), r["range"], r["flag"] or "")
            for r in content["rows"]]
    out = ["<section><h2>Spatiotemporal parameters</h2>",
           H.table(("Parameter", "Unit", "Left", "Right", "Symmetry index %", "Normal range",
                    "Flag"), rows, "metrics"),
           f"<p class='note'>{H.e(content['ref_note'])}</p></section>"]
    summ = [x for x in labdata.flat_summaries(labdata.load_metrics(path))
            if x["name"] not in {r["name"] for r in content["rows"]}
            and not x["name"].endswith("_si")]
    if summ:
        out.append("<section><h2>Angles and summaries</h2>" + H.table(
            ("Measure", "Side", "Value", "Unit"),
            [(label_of(s["name"]), s["side"], _fmt(s["value"], s["unit"]), s["unit"])
             for s in summ], "summary") + "</section>")
    return "".join(out)


@router.get("/trials/{subject}/{session}/{trial}/report", response_class=HTMLResponse)
def trial_report(request: Request, _: Reader, subject: IdPath, session: IdPath,
                 trial: IdPath) -> HTMLResponse:
    body, _name, _media = _export(request, subject, session, trial, "html")
    return HTMLResponse(body, headers={"Content-Security-Policy":
                                       "default-src 'none'; img-src data:; "
                                       "style-src 'unsafe-inline'"})


@router.get("/trials/{subject}/{session}/{trial}/download/{fmt}")
def download(request: Request, _: Reader, subject: IdPath, session: IdPath, trial: IdPath,
             fmt: Annotated[str, PathParam(pattern="^(csv|json|c3d|trc|fhir|pdf|html)$")]
             ) -> Response:
    body, name, media = _export(request, subject, session, trial, fmt)
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


MEDIA = {"csv": "text/csv", "json": "application/json", "c3d": "application/octet-stream",
         "trc": "text/plain", "pdf": "application/pdf", "html": "text/html",
         "fhir": "application/fhir+json"}


def _export(request: Request, subject: str, session: str, trial: str, fmt: str
            ) -> tuple[bytes, str, str]:
    """(body, file name, media type) of one download of a trial (as the API's export)."""
    from mocaplab.reporting import exports

    ref, path = _trial(request, subject, session, trial)
    api = _api(request)
    idt = exports.ExportIdentity.make(ref.subject, ref.session, ref.trial, None, False)
    need = Trial(path).points3d_path if fmt in ("c3d", "trc") else Trial(path).metrics_path
    if not need.is_file():
        raise HTTPException(404, f"trial {ref.key} has no {need.name} yet")
    with tempfile.TemporaryDirectory(prefix="mocaplab-clinic-") as tmp:
        if fmt == "fhir":
            from mocaplab.reporting.fhir import observation_bundle

            body = exports.dumps(observation_bundle(path, idt)).encode()
            name = exports.export_filename(idt, "json").replace(".json", ".fhir.json")
        elif fmt in ("pdf", "html"):
            from mocaplab.reporting.report import write_report

            files = write_report(path, Path(tmp), api.normative_dir, key_frames=api.key_frames)
            body = files[fmt].read_bytes()
            name = exports.export_filename(idt, fmt)
        else:
            body = exports.write_export(path, Path(tmp) / f"export.{fmt}", fmt, idt,
                                        "summary").read_bytes()
            name = exports.export_filename(idt, fmt, "summary")
    return body, name, MEDIA[fmt]


@router.get("/trials/{subject}/{session}/{trial}/replay.json")
def replay_points(request: Request, _: Reader, subject: IdPath, session: IdPath,
                  trial: IdPath) -> dict[str, Any]:
    from mocaplab.keypoint_sets import identify_keypoint_set
    from mocaplab.reporting import labdata

    ref, path = _trial(request, subject, session, trial)
    if not Trial(path).points3d_path.is_file():
        raise HTTPException(404, f"trial {ref.key} has no points3d.npz yet")
    p = labdata.load_points(Trial(path).points3d_path)
    names = list(p.keypoints)
    kset = identify_keypoint_set(names)
    step = max(1, int(round(float(p.fps) / 30.0)),
               int(np.ceil(len(p.points) / REPLAY_MAX_FRAMES)))
    block = np.round(p.points[::step], 3)
    return {"key": ref.key, "fps": float(p.fps) / step, "keypoints": names,
            "edges": kset.edge_indices.tolist() if kset else [],
            "sides": [kset.side(n) if kset else "center" for n in names],
            "colours": dict(side_colours.SIDE_HEX),  # mocaplab.sides: left red, right blue
            "points": [[None if not np.isfinite(v) else float(v) for v in fr.ravel()]
                       for fr in block]}


# --- before / after -----------------------------------------------------------------------------
def comparison_dir(request: Request, a: TrialRef, b: TrialRef, view: str) -> Path:
    """The folder of the comparison of a (before) and b (after), cached in
    ``LAB/.mocaplab/compare/`` (see :func:`mocaplab.compare_video.cached_comparison`)."""
    from mocaplab.compare_video import Options, cached_comparison

    api = _api(request)
    pa, pb = trial_path(api.lab_dir, a), trial_path(api.lab_dir, b)
    for r, p in ((a, pa), (b, pb)):
        if not Trial(p).meta_path.is_file():
            raise HTTPException(404, f"trial {r.key} not found")
    opts = Options(view=view, labels=(a.session, b.session))
    try:
        return cached_comparison(pa, pb, lab_state_dir(api.lab_dir) / "compare", opts,
                                 request.app.state.clinic.lock(f"{a.key}|{b.key}|{view}"))
    except InputError as exc:
        raise HTTPException(409, f"no comparison video: {exc}") from None


def _refs(a: str, b: str) -> tuple[TrialRef, TrialRef]:
    try:
        ra, rb = TrialRef.parse(a), TrialRef.parse(b)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    if ra.subject != rb.subject:
        raise HTTPException(400, "a before/after comparison is between trials of one subject")
    return ra, rb


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, who: PageReader, a: KeyQuery, b: KeyQuery,
                 view: ViewQuery = "front") -> HTMLResponse:
    from mocaplab.reporting.progress import compare, trial_key_metrics

    ra, rb = _refs(a, b)
    api = _api(request)
    pa, pb = trial_path(api.lab_dir, ra), trial_path(api.lab_dir, rb)
    for r, p in ((ra, pa), (rb, pb)):
        if not Trial(p).metrics_path.is_file():
            raise HTTPException(404, f"trial {r.key} is not analysed (no metrics.json)")
    q = {"a": ra.key, "b": rb.key, "view": view}
    body = [f"<p>{H.link(H.url(f'/clinic/subjects/{ra.subject}'), 'Subject ' + ra.subject)}"
            f" &middot; before {H.link(H.url('/clinic/trials/' + ra.key), ra.key)} &middot; "
            f"after {H.link(H.url('/clinic/trials/' + rb.key), rb.key)} &middot; "
            + " ".join(H.link(H.url("/clinic/compare", **{**q, "view": v}), f"{v} view",
                              "current" if v == view else "") for v in ("front", "side"))
            + "</p>"]
    try:
        cdir = comparison_dir(request, ra, rb, view)
        info = json.loads((cdir / "compare.json").read_text(encoding="utf-8"))
        media = H.url("/clinic/compare/media/compare.mp4", **q)
        sides = "; ".join(f"{s['visit']} ({s['date']}): camera {s['camera']}, {s['footage']}"
                          for s in info["sides"])
        frames = "".join(
            f"<figure>{_img(H.url('/clinic/compare/media/' + k['file'], **q), name)}"
            f"<figcaption>{H.e(_key_caption(name))}</figcaption></figure>"
            for name, k in info["key_frames"].items())
        body.append(f"<section class='video'><video id='compare-video' controls muted "
                    f"playsinline preload='auto' src='{media}' width='{info['size'][0]}'>"
                    "</video><p class='note'>"
                    f"{H.e(info['note'])}. {H.e(sides)}. Codec {H.e(info['codec'])}"
                    + (" (browsers do not play mp4v: download it, or install ffmpeg with "
                       "libx264 on the server)" if info["codec"] != "h264" else "") + ".</p>"
                    f"<p>{H.link(media, 'Download the video (MP4)')}</p></section>"
                    f"<section><h2>Key frames</h2><div class='frames'>{frames}</div></section>")
    except HTTPException as exc:
        if exc.status_code != 409:
            raise
        body.append(f"<p class='error'>{H.e(str(exc.detail))}</p>")
    rows = compare(trial_key_metrics(pa), trial_key_metrics(pb))
    body.append("<section><h2>Key metrics</h2>" + H.table(
        ("Metric", "Unit", "Before", "After", "Change", "Verdict"),
        [(r["metric"].label, r["metric"].unit, _fmt(r["before"], r["metric"].unit),
          _fmt(r["after"], r["metric"].unit), _fmt(r["change"], r["metric"].unit), r["verdict"])
         for r in rows], "compare") + "</section>")
    prog = {"subject": ra.subject, "before": ra.session, "after": rb.session}
    if ra.session != rb.session:
        body.append("<section><h2>Progress report</h2><p>"
                    + H.link(H.url("/clinic/progress", **prog, format="html"),
                             "Open the progress report")
                    + " &middot; "
                    + H.link(H.url("/clinic/progress", **prog, format="pdf"), "PDF")
                    + "</p></section>")
    return _page(request, f"Before / after: {ra.session} and {rb.session}", "".join(body), who,
                 ("clinic.js",))


def _img(src: str, alt: str) -> str:
    return f"<img src='{src}' alt='{H.e(alt)}' loading='lazy'>"


def _key_caption(name: str) -> str:
    return f"{int(name[:3])} % of the gait cycle" if name.endswith("pct") else \
        f"moment {int(name[1:]) + 1} of 4"


@router.get("/compare/media/{name}")
def compare_media(request: Request, _: Reader,
                  name: Annotated[str, PathParam(pattern=r"^(compare\.mp4|key_frames\.png|"
                                                         r"keyframe_[a-z0-9]{2,8}\.png)$")],
                  a: KeyQuery, b: KeyQuery, view: ViewQuery = "front") -> Response:
    ra, rb = _refs(a, b)
    f = comparison_dir(request, ra, rb, view) / name
    if not f.is_file():
        raise HTTPException(404, f"no {name} in this comparison")
    return FileResponse(f, media_type="video/mp4" if name.endswith(".mp4") else "image/png")


@router.get("/progress")
def progress(request: Request, _: Reader, subject: Annotated[str, Query(pattern=ID_PATTERN)],
             before: Annotated[str, Query(pattern=ID_PATTERN)],
             after: Annotated[str, Query(pattern=ID_PATTERN)],
             format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html"  # noqa: A002
             ) -> Response:
    from mocaplab.reporting.progress import session_trials, write_progress_report

    api = _api(request)
    if not safe_join(api.lab_dir, subject).is_dir():
        raise HTTPException(404, f"subject {subject} not found")
    frames = None
    try:
        tb, ta = (session_trials(api.lab_dir, subject, v) for v in (before, after))
        refs = [TrialRef(subject, v, t[0].name) for v, t in ((before, tb), (after, ta))]
        frames = comparison_dir(request, refs[0], refs[1], "front") / "key_frames.png"
    except (InputError, HTTPException):
        pass                       # no footage or no analysed trial: report without video
    with tempfile.TemporaryDirectory(prefix="mocaplab-clinic-") as tmp:
        try:
            files = write_progress_report(api.lab_dir, subject, before, after, Path(tmp),
                                          api.normative_dir, key_frames=api.key_frames,
                                          video_frames=frames)
        except InputError as exc:
            raise HTTPException(404, str(exc)) from None
        body = files[format].read_bytes()
    if format == "html":
        return HTMLResponse(body, headers={"Content-Security-Policy":
                                           "default-src 'none'; img-src data:; "
                                           "style-src 'unsafe-inline'"})
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{subject}_progress_{before}_{after}.pdf"'})


# --- operator actions ---------------------------------------------------------------------------
@router.post("/actions/process/{subject}/{session}/{trial}")
def process_again(request: Request, who: Operator, subject: IdPath, session: IdPath,
                  trial: IdPath) -> dict[str, Any]:
    from mocaplab.api.jobs import JobConflict

    ref, path = _trial(request, subject, session, trial)
    try:
        return _api(request).jobs.submit(ref.key, path, who.name)
    except JobConflict as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/actions/index")
def reindex(request: Request, _: Operator) -> dict[str, Any]:
    from mocaplab.reporting.db import index_lab

    api = _api(request)
    return index_lab(api.engine, api.lab_dir)
