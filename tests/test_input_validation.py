"""Bad input at the boundaries (issue 21): a clear InputError naming the file and the problem,
exit 1 on the CLI without a traceback, and nothing already written replaced."""

from __future__ import annotations

import errno
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from mocaplab import atomic
from mocaplab.camera import CameraSet
from mocaplab.cli import main
from mocaplab.errors import AccessError, InputError, StorageError
from mocaplab.pose_data import Keypoints2D, Points3D
from mocaplab.synthetic.lab import write_keypoints_trial
from mocaplab.trial import Trial


@pytest.fixture(scope="module")
def good_trial(tmp_path_factory) -> Path:
    """A synthetic trial (4 cameras, 2D keypoints) triangulated once."""
    path = tmp_path_factory.mktemp("good") / "trial"
    write_keypoints_trial(path, speed_m_s=1.1, duration_s=3.0, start_xy=(-1.5, 0.0), seed=5)
    assert main(["triangulate", str(path)]) == 0
    return path


@pytest.fixture()
def trial(good_trial, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(good_trial, tmp_path / "trial"))


def _set_camera(trial: Path, **fields) -> None:
    p = trial / "calibration.toml"
    data = tomllib.loads(p.read_text())
    data["cam_1"].update(fields)
    p.write_text(tomli_w.dumps(data))


NAN, INF = math.nan, math.inf
K_OK = [[900.0, 0.0, 640.0], [0.0, 900.0, 360.0], [0.0, 0.0, 1.0]]


@pytest.mark.parametrize(("fields", "problem"), [
    ({"matrix": [[NAN, 0, 640], [0, 900, 360], [0, 0, 1]]}, "NaN or infinite"),
    ({"matrix": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]}, "must be positive"),
    ({"matrix": [[-900, 0, 640], [0, 900, 360], [0, 0, 1]]}, "must be positive"),
    ({"matrix": [[900, 0, 640], [0, 900, 360], [0, 0, 0]]}, "not an intrinsic matrix"),
    ({"matrix": [[900, 0, 640], [900, 900, 360], [0, 0, 1]]}, "not an intrinsic matrix"),
    ({"translation": [0.0, INF, 3.0]}, "NaN or infinite"),
    ({"distortions": [NAN, 0, 0, 0, 0]}, "NaN or infinite"),
    ({"size": [0, 0]}, "not plausible"),
    ({"size": [1280, 100000]}, "not plausible"),
    ({"matrix": [[900, 0, 64000], [0, 900, 360], [0, 0, 1]]}, "principal point"),
])
def test_unusable_camera_is_refused_naming_file_and_camera(trial, fields, problem, capsys):
    before = (trial / "points3d.npz").read_bytes()
    _set_camera(trial, **fields)
    with pytest.raises(InputError, match=problem) as err:
        CameraSet.load(trial / "calibration.toml")
    assert "calibration.toml" in str(err.value) and "cam1" in str(err.value)
    assert main(["triangulate", str(trial), "--force"]) == 1
    assert problem in capsys.readouterr().err
    assert (trial / "points3d.npz").read_bytes() == before  # nothing replaced


def test_good_camera_still_loads(trial):
    _set_camera(trial, matrix=K_OK)
    assert len(CameraSet.load(trial / "calibration.toml")) == 4


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damaged_member(path: Path) -> None:
    """Flip bytes inside the compressed data but keep the zip's directory intact."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 64] = bytes(64)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("spoil", [_truncated, _damaged_member])
@pytest.mark.parametrize(("name", "load"), [("keypoints2d.npz", Keypoints2D.load),
                                            ("points3d.npz", Points3D.load)])
def test_damaged_npz_is_an_input_error_naming_the_file(trial, spoil, name, load):
    spoil(trial / name)
    with pytest.raises(InputError) as err:
        load(trial / name)
    assert str(trial / name) in str(err.value)


def test_damaged_keypoints_on_the_cli(trial, capsys):
    before = (trial / "points3d.npz").read_bytes()
    _truncated(trial / "keypoints2d.npz")
    assert main(["triangulate", str(trial), "--force"]) == 1
    err = capsys.readouterr().err
    assert "keypoints2d.npz" in err and "Traceback" not in err
    assert (trial / "points3d.npz").read_bytes() == before


@pytest.mark.parametrize(("meta", "problem"), [
    ([1, 2], "must hold a JSON object"),
    ("walk", "must hold a JSON object"),
    ({"fps": "fast"}, "fps must be a positive number"),
    ({"fps": True}, "fps must be a positive number"),
    ({"fps": -60}, "fps must be a positive number"),
    ({"fps": 60, "cameras": "cam0"}, "cameras must be a list"),
    ({"fps": 60, "calibration": 3}, "calibration must be text"),
])
def test_bad_meta_json_is_refused(trial, meta, problem, capsys):
    (trial / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=problem) as err:
        Trial(trial).meta  # noqa: B018
    assert "meta.json" in str(err.value)
    assert main(["triangulate", str(trial), "--force"]) == 1
    err = capsys.readouterr().err
    assert problem in err and "Traceback" not in err


def test_meta_json_with_subject_data_and_null_fps_is_fine(trial):
    (trial / "meta.json").write_text(json.dumps({"fps": None, "subject": {"height_m": 1.7}}))
    assert Trial(trial).meta["subject"] == {"height_m": 1.7}


def _disk_full(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_is_a_storage_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = atomic.save_npz(tmp_path / "points3d.npz", a=np.zeros(3))
    before = target.read_bytes()
    monkeypatch.setattr(atomic.np, "savez_compressed", _disk_full)
    with pytest.raises(StorageError, match="disk is full while writing .*points3d.npz"):
        atomic.save_npz(target, a=np.ones(3))
    assert target.read_bytes() == before
    with np.load(target) as z:  # the old contents, whole
        np.testing.assert_array_equal(z["a"], np.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["points3d.npz"]  # no temporary file left


def _denied(*_a, **_k):
    raise PermissionError(errno.EACCES, "Permission denied")


def test_a_folder_that_cannot_be_written_is_named_without_a_traceback(trial, monkeypatch,
                                                                     capsys):
    """A read-only output folder (or another user's): the error names the file to be written
    (not the temporary one), exit 1, no traceback, the old file kept; the same for a folder
    the CLI creates itself."""
    before = (trial / "points3d.npz").read_bytes()
    monkeypatch.setattr(atomic.tempfile, "mkstemp", _denied)
    with pytest.raises(AccessError, match=r"cannot write .*points3d\.npz: permission denied"):
        atomic.save_npz(trial / "points3d.npz", a=np.ones(3))
    assert main(["triangulate", str(trial), "--force"]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "points3d.npz: permission denied" in err
    assert "Traceback" not in err and ".tmp" not in err
    assert (trial / "points3d.npz").read_bytes() == before
    monkeypatch.undo()

    def no_mkdir(self, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", no_mkdir)
    assert main(["board", "create", "--out", str(trial / "new" / "board.pdf")]) == 1
    err = capsys.readouterr().err
    assert "board.pdf: permission denied" in err and "Traceback" not in err


def test_full_disk_on_the_cli_says_so(trial, monkeypatch, capsys):
    before = (trial / "points3d.npz").read_bytes()
    monkeypatch.setattr(atomic.np, "savez_compressed", _disk_full)
    assert main(["triangulate", str(trial), "--force"]) == 1
    err = capsys.readouterr().err
    assert "disk is full while writing" in err and "points3d.npz" in err
    assert "camera names" not in err and "Traceback" not in err
    assert (trial / "points3d.npz").read_bytes() == before
    assert not [p for p in trial.iterdir() if p.name.startswith(".") and p.is_file()]


def test_refusals_to_overwrite_name_the_cli_option(trial, tmp_path, capsys):
    """'already exists; pass --force', not the Python argument names ('pass overwrite
    (--force)', '--force (force=True)') the messages used to show on the command line."""
    assert main(["triangulate", str(trial)]) == 1
    err = capsys.readouterr().err
    assert "already exists; pass --force to triangulate again" in err and "force=True" not in err
    out = tmp_path / "board.png"
    assert main(["board", "create", "--out", str(out)]) == 0
    assert main(["board", "create", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "already exists; pass --force to replace it" in err and "overwrite (" not in err


def test_process_refuses_option_values_that_cannot_apply(trial, capsys):
    """`process --cutoff -1` ran detection, failed in triangulation and marked the report
    out of date; `process --workers 0` was accepted: both are refused before any stage runs,
    the trial's files untouched."""
    before = {p: p.stat().st_mtime_ns for p in Path(trial).rglob("*") if p.is_file()}
    for bad in (["--cutoff", "-1"], ["--cutoff", "nan"], ["--workers", "0"]):
        assert main(["process", str(trial), "--no-video", *bad]) == 1
        err = capsys.readouterr().err
        assert bad[0] in err and "Traceback" not in err
    assert main(["batch", str(Path(trial).parent), "--cutoff", "0"]) == 1
    assert "--cutoff 0" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in Path(trial).rglob("*") if p.is_file()} == before
