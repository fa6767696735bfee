"""C3D and TRC reading and writing."""

import importlib

import numpy as np
import pytest

from mocaplab.errors import InputError
from mocaplab.marker_io import LabelledEvent, read_c3d, read_trc, write_c3d, write_trc


def _markers(F=50, M=4, seed=0):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1, 2, (F, M, 3))
    pts[5, 1] = np.nan
    return pts, [f"M{i}" for i in range(M)]


def test_c3d_round_trip_with_events_and_angles(tmp_path):
    pts, labels = _markers()
    angles = {"LPelvisAngles": np.random.default_rng(1).normal(0, 5, (50, 3))}
    events = [LabelledEvent("right", "foot_strike", 0.25, 26),
              LabelledEvent("left", "foot_off", 0.31, 32)]
    path = write_c3d(tmp_path / "t.c3d", pts, labels, 100.0, first_frame=11, events=events,
                     angles=angles)
    back = read_c3d(path)
    assert back.labels == tuple(labels) and back.fps == 100.0 and back.first_frame == 11
    np.testing.assert_allclose(back.points, pts, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(back.model_outputs["LPelvisAngles"], angles["LPelvisAngles"],
                               atol=1e-4)
    assert [(e.side, e.type, e.frame) for e in back.events] == [
        ("right", "foot_strike", 26), ("left", "foot_off", 32)]
    assert back.times[0] == pytest.approx(0.1)


def test_c3d_missing_samples_have_residual_minus_one(tmp_path):
    """docs/conventions.md: a missing sample is written with residual -1 (invalid), which
    Vicon, Mokka and btk read as a gap. The residual went into the points' 4th row, which ezc3d
    does not write: every sample, missing or not, had residual 0 in the file."""
    import ezc3d

    pts, labels = _markers()
    angles = {"LPelvisAngles": np.full((50, 3), 2.0)}
    angles["LPelvisAngles"][7] = np.nan  # no component: missing
    angles["LPelvisAngles"][8, 0] = np.nan  # one component only: not missing
    c = ezc3d.c3d(str(write_c3d(tmp_path / "t.c3d", pts, labels, 100.0, angles=angles)))
    res = c["data"]["meta_points"]["residuals"][0]  # (N, F)
    expected = np.zeros_like(res)
    expected[1, 5] = -1.0  # _markers: marker 1 missing in frame 5
    expected[len(labels), 7] = -1.0
    np.testing.assert_array_equal(res, expected)
    back = read_c3d(tmp_path / "t.c3d")
    np.testing.assert_allclose(back.points, pts, atol=1e-6, equal_nan=True)


def test_trc_round_trip(tmp_path):
    pts, labels = _markers()
    back = read_trc(write_trc(tmp_path / "t.trc", pts, labels, 60.0, first_frame=3))
    assert back.labels == tuple(labels) and back.fps == 60.0 and back.first_frame == 3
    np.testing.assert_allclose(back.points, pts, atol=1e-6, equal_nan=True)
    back_mm = read_trc(write_trc(tmp_path / "mm.trc", pts, labels, 60.0, units="mm"))
    np.testing.assert_allclose(back_mm.points, pts, atol=1e-6, equal_nan=True)


def test_bad_marker_files(tmp_path):
    (tmp_path / "x.c3d").write_bytes(b"garbage")
    with pytest.raises(InputError, match="not a C3D file"):
        read_c3d(tmp_path / "x.c3d")
    (tmp_path / "x.trc").write_text("hello\n")
    with pytest.raises(InputError, match="not a TRC"):
        read_trc(tmp_path / "x.trc")
    with pytest.raises(InputError, match="does not exist"):
        read_c3d(tmp_path / "none.c3d")


def test_vicon_walk_c3d(shared_data):
    t = read_c3d(shared_data / "kineticstoolkit_walk" / "walk.c3d")
    assert t.fps == 100.0 and t.first_frame == 153 and t.n_frames == 221
    assert t.has("LASI", "RASI", "LPSI", "RPSI", "LHEE", "RHEE", "LTOE", "RTOE")
    assert "LPelvisAngles" in t.model_outputs and "LPelvisAngles" not in t.labels
    # metres: pelvis at about hip height
    assert 0.7 < np.nanmean(t.marker("LASI")[:, 2]) < 1.1
    assert len(t.events) == 8
    first = t.events[0]
    assert (first.side, first.type, first.frame) == ("right", "foot_strike", 167)
    assert first.time_s == pytest.approx(1.6605, abs=1e-4)


# --- dialects and bad input (issues 16 and 21) -------------------------------------------------

def _walk_c3d(path, **kw):
    from mocaplab.synthetic.gait import parametric_walk

    w = parametric_walk(duration_s=3.0)
    return write_c3d(path, w.markers, w.marker_labels, w.fps, **kw), w


def test_c3d_with_an_empty_marker_and_no_point_units(tmp_path, capsys):
    """Issue 21: today's reader raised IndexError on POINT:UNITS = [] (an empty list)."""
    import ezc3d

    from mocaplab.cli import main

    path, w = _walk_c3d(tmp_path / "w.c3d")
    c = ezc3d.c3d(str(path))
    c["parameters"]["POINT"]["UNITS"]["value"] = []
    pts = np.array(c["data"]["points"])
    pts[:3, 0, :] = 0.0            # first marker empty: all samples zero / invalid
    pts[3, 0, :] = -1.0
    c["data"]["points"] = pts
    c.write(str(tmp_path / "nounits.c3d"))
    t = read_c3d(tmp_path / "nounits.c3d")
    assert any("POINT:UNITS is empty; assumed mm" in m for m in t.warnings)
    np.testing.assert_allclose(t.points[:, 1:], w.markers[:, 1:], atol=1e-6)
    assert np.isnan(t.points[:, 0]).all()
    out = tmp_path / "m.json"
    assert main(["analyze", str(tmp_path / "nounits.c3d"), "--out", str(out)]) == 0
    assert "assumed mm" in capsys.readouterr().err and out.is_file()


def test_c3d_units_spelled_out_or_in_metres(tmp_path):
    import ezc3d

    path, w = _walk_c3d(tmp_path / "w.c3d")
    c = ezc3d.c3d(str(path))
    c["parameters"]["POINT"]["UNITS"]["value"] = ["Millimeters"]
    c.write(str(tmp_path / "spelled.c3d"))
    t = read_c3d(tmp_path / "spelled.c3d")
    assert not t.warnings
    np.testing.assert_allclose(t.points, w.markers, atol=1e-6)


def test_truncated_c3d_is_refused_without_reading_it(tmp_path, capsys):
    """ezc3d hangs on some truncated files: the header check refuses them first."""
    from mocaplab.cli import main

    path, _ = _walk_c3d(tmp_path / "w.c3d")
    data = path.read_bytes()
    for cut in (len(data) // 2, 700, 100):
        bad = tmp_path / f"cut{cut}.c3d"
        bad.write_bytes(data[:cut])
        with pytest.raises(InputError, match="truncated|not a C3D"):
            read_c3d(bad)
    out = tmp_path / "m.json"
    assert main(["analyze", str(tmp_path / f"cut{len(data) // 2}.c3d"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "truncated" in err and "Traceback" not in err and not out.exists()


def _trc_lines(tmp_path, **kw):
    pts, labels = _markers(F=20, M=3)
    pts[5, 1] = np.nan
    path = write_trc(tmp_path / "t.trc", pts, labels, 100.0, units="mm", **kw)
    return path, pts, path.read_text().splitlines()


def test_trc_header_with_double_tabs_and_padded_values(tmp_path):
    path, pts, lines = _trc_lines(tmp_path)
    lines[1] = lines[1].replace("\t", "\t\t")
    lines[2] = "\t\t".join(f"  {v}" for v in lines[2].split("\t"))
    path.write_text("\r\n".join(lines) + "\r\n")
    t = read_trc(path)
    assert t.fps == 100.0 and t.labels == ("M0", "M1", "M2") and not t.warnings
    np.testing.assert_allclose(t.points, pts, atol=1e-6, equal_nan=True)


def test_trc_nan_tokens_blank_rows_and_dropped_trailing_fields(tmp_path):
    path, pts, lines = _trc_lines(tmp_path)
    lines.insert(5, "\t\t\t")                                    # blank row before the data
    row = lines[6 + 7].split("\t")
    lines[6 + 7] = "\t".join(row[:2] + ["  NaN"] * 3 + row[5:8])  # M0 NaN, M2 dropped
    path.write_text("\n".join(lines) + "\n")
    t = read_trc(path)
    assert not t.warnings
    assert np.isnan(t.points[7, 0]).all() and np.isnan(t.points[7, 2]).all()
    np.testing.assert_allclose(t.points[7, 1], pts[7, 1], atol=1e-6)


def test_trc_with_ragged_lines_warns(tmp_path, capsys):
    """Issue 21: a TRC with ragged lines was analysed without a warning (exit 0)."""
    from mocaplab.cli import main
    from mocaplab.synthetic.gait import parametric_walk

    w = parametric_walk(duration_s=3.0)
    path = write_trc(tmp_path / "w.trc", w.markers, w.marker_labels, w.fps, units="mm")
    lines = path.read_text().splitlines()
    lines[20] = "\t".join(lines[20].split("\t")[:-2])            # ends inside a marker
    lines[30] = lines[30] + "\t1.0\t2.0\t3.0"                      # values beyond the markers
    path.write_text("\n".join(lines) + "\n")
    t = read_trc(path)
    assert sum("ragged" in m for m in t.warnings) == 2
    assert np.isnan(t.points[15, -1]).all() and np.isfinite(t.points[15, :-1]).all()
    assert main(["analyze", str(path), "--out", str(tmp_path / "m.json")]) == 0
    assert "ragged" in capsys.readouterr().err


def test_trc_that_is_not_one(tmp_path, capsys):
    from mocaplab.cli import main

    bad = tmp_path / "x.trc"
    bad.write_text("time,x,y,z\n0,1,2,3\n")
    out = tmp_path / "m.json"
    assert main(["analyze", str(bad), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "not a TRC" in err and str(bad) in err and not out.exists()
    bad.write_bytes(b"PathFileType\t4\n\0\0\0binary")
    with pytest.raises(InputError, match="not a TRC"):
        read_trc(bad)
    path, _, lines = _trc_lines(tmp_path)
    path.write_text("\n".join(lines[:5]) + "\n")
    with pytest.raises(InputError, match="no data rows"):
        read_trc(path)


def test_trc_cut_inside_its_header_is_called_truncated(tmp_path, capsys):
    """A TRC that stops inside its 5 header lines has a PathFileType line: it is refused as
    truncated, not as 'no PathFileType header line' (the old message); nothing is written."""
    from mocaplab.cli import main

    path, _, lines = _trc_lines(tmp_path)
    path.write_text("\n".join(lines[:3]) + "\n")
    out = tmp_path / "m.json"
    assert main(["analyze", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "truncated TRC" in err and "3 line(s)" in err and "no PathFileType" not in err
    assert not out.exists()


def test_trc_with_a_byte_order_mark_is_read(tmp_path):
    """Windows editors start UTF-8 text with a byte-order mark; the old reader refused the file
    as 'not a TRC file'."""
    path, pts, lines = _trc_lines(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode())
    t = read_trc(path)
    assert t.labels == ("M0", "M1", "M2") and t.fps == 100.0
    np.testing.assert_allclose(t.points, pts, atol=1e-6, equal_nan=True)


def test_trc_names_fewer_than_declared_markers(tmp_path):
    path, pts, lines = _trc_lines(tmp_path)
    lines[2] = lines[2].replace("\t3\tmm", "\t6\tmm")
    path.write_text("\n".join(lines) + "\n")
    t = read_trc(path)
    assert t.points.shape == (20, 3, 3)
    assert any("declares 6 markers but line 4 names 3" in m for m in t.warnings)


def test_c3d_blank_and_repeated_labels(tmp_path):
    pts, _ = _markers(M=3)
    path = write_c3d(tmp_path / "d.c3d", pts, ["RTHI", "", "RTHI"], 100.0)
    t = read_c3d(path)
    assert t.labels == ("RTHI", "unlabelled_2", "RTHI#2")
    assert len(t.warnings) == 2


def test_every_corpus_file_is_analysed_or_refused(shared_data):
    """No traceback on any file of the gait marker corpus (issue 16's table)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "marker_corpus_eval", Path(__file__).parents[1] / "benchmarks" / "marker_corpus_eval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = {p.name: mod.row(p) for p in mod.corpus_files(shared_data)}
    assert len(rows) >= 35
    assert not [n for n, (status, _) in rows.items() if status == "CRASH"]
    assert rows["Kistler.c3d"][0] == "refused" and "no marker" in rows["Kistler.c3d"][1]
    assert rows["561xxa01_anonym.C3D"][0] == "analysed"          # empty POINT:UNITS
    assert rows["dataWithNaNsWithSpaces.trc"][0] == "analysed"
    assert rows["walk.c3d"][0] == "analysed"


def test_c3d_event_times_stored_flat(shared_data):
    """ezc3d returns EVENT:TIMES of some Vicon files as a flat array (minutes, seconds pairs)."""
    t = read_c3d(shared_data / "gait_marker_corpus" / "btkdata" / "PiG_Motion-FlatFoot-Full.c3d")
    times = sorted(e.time_s for e in t.events)
    assert len(times) == 12 and times[0] == pytest.approx(1.53, abs=1e-3)
    assert all((t.first_frame - 1) / t.fps <= x <= (t.first_frame + t.n_frames) / t.fps
               for x in times)


def test_c3d_with_analog_samples_in_the_header_but_analog_used_0(shared_data):
    """561xxa01 (BTS): ezc3d ignores the header's 18 analog samples per frame and misreads every
    frame (markers jumping metres between frames); read with the header layout they are smooth
    and equal to what the `c3d` package reads."""
    import warnings

    c3d = importlib.import_module("c3d")
    path = shared_data / "gait_marker_corpus" / "btkdata" / "561xxa01_anonym.C3D"
    t = read_c3d(path)
    assert any("ANALOG:USED is 0" in w for w in t.warnings)
    with path.open("rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.stack([p[:, :3] for _, p, _ in c3d.Reader(f).read_frames()]) / 1000.0
    i = t.labels.index("r asis")
    ok = np.isfinite(t.points[:, i]).all(1)
    np.testing.assert_allclose(t.points[ok, i], ref[ok, i], atol=1e-6)
    speed = np.linalg.norm(np.diff(t.points[:, i], axis=0), axis=1) * t.fps
    assert np.nanmax(speed) < 5.0
