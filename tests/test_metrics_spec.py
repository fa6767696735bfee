"""The metrics specification (analysis/metrics_spec.py) and metrics.json reading/writing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mocaplab.analysis import metrics_spec as spec
from mocaplab.analysis.inputs import AnalysisInput
from mocaplab.analysis.pipeline import SECTIONS, analyze
from mocaplab.atomic import json_safe
from mocaplab.errors import InputError
from mocaplab.synthetic.gait import parametric_walk


@pytest.fixture(scope="module")
def walk_metrics() -> dict:
    """metrics.json of the parametric walker, as analysis writes it."""
    w = parametric_walk(duration_s=6.0, fps=100.0)
    kp = w.keypoints
    data = AnalysisInput(kp.points, tuple(kp.keypoints), kp.fps, 1, "walker", "points3d")
    return json_safe(analyze(data))


def test_every_metric_analysis_writes_is_in_the_spec(walk_metrics):
    assert spec.unregistered(walk_metrics) == []
    assert spec.problems(walk_metrics) == []
    present = {v.metric.key for v in spec.parse_metrics(walk_metrics).values()
               if v.value is not None}
    # the walker walks: every spatiotemporal parameter and the pelvis summary have values
    assert {m.key for m in spec.METRICS.in_section("spatiotemporal")} <= present
    assert "pelvis_obliquity_range_deg" in present and "leg_length_left_minus_right_m" in present


def test_every_declared_symmetry_index_is_stored_by_analysis(walk_metrics):
    """A symmetry index the spec declares is computed once, in analysis (not at read time)."""
    missing = [m.key for m in spec.METRICS if m.symmetry_path
               and spec.json_number(spec.get_path(walk_metrics, m.symmetry_path)[1]) is None]
    assert missing == []


def test_unregistered_leaf_is_reported(walk_metrics):
    m = json.loads(json.dumps(walk_metrics))
    m["spatiotemporal"]["left"]["toe_clearance_m"] = 0.02
    assert spec.unregistered(m) == ["spatiotemporal.left.toe_clearance_m"]


def test_spec_sections_are_the_analysis_sections():
    assert {m.section for m in spec.METRICS} <= set(SECTIONS)
    assert list(SECTIONS) == [k for k in spec.TOP_LEVEL if k in SECTIONS]


def test_registry_refuses_twice_and_bad_sides():
    with pytest.raises(ValueError, match="twice"):
        spec.spatiotemporal_metric("stride_length_m", "Stride length", "m")
    with pytest.raises(ValueError, match="disagree"):
        spec.register(spec.Metric("x_m", "weight_shift.{side}.x_m", "X", "m"))
    with pytest.raises(KeyError):
        spec.METRICS["speed_m_s"].path_of("")


def test_paths_units_and_labels():
    m = spec.METRICS["stride_length_m"]
    assert m.path_of("left") == "spatiotemporal.left.stride_length_m"
    assert m.symmetry_path == "spatiotemporal.symmetry.stride_length_m.symmetry_index_pct"
    assert (m.label, m.unit, m.better, m.normal_range.column) == (
        "Stride length", "m", "higher", "Stride Length (cm.)")
    diff = spec.METRICS["leg_length_left_minus_right_m"]
    assert diff.path_of("asymmetry") == "leg_length.asymmetry.leg_length_left_minus_right_m"
    assert diff.better == "symmetry"
    for metric in spec.METRICS:  # CONVENTIONS.md: a key ends with its unit
        suffix = {"m": "_m", "m/s": "_m_s", "s": "_s", "%": ("_pct", "_si"), "deg": "_deg",
                  "steps/min": "_steps_per_min"}[metric.unit]
        assert metric.key.endswith(suffix), metric.key


def test_write_read_round_trip(tmp_path, walk_metrics):
    path = spec.write_metrics(tmp_path / "metrics.json", walk_metrics)
    raw = json.loads(path.read_text())
    assert next(iter(raw)) == "schema_version" and raw["schema_version"] == spec.SCHEMA_VERSION
    mf = spec.read_metrics(path)
    assert mf.schema_version == spec.SCHEMA_VERSION
    assert mf.value("speed_m_s", "overall") == pytest.approx(
        walk_metrics["spatiotemporal"]["overall"]["speed_m_s"])
    assert mf.fps == 100.0 and mf.first_frame == 1


def test_files_without_version_read_as_version_1(tmp_path, walk_metrics):
    m = {k: v for k, v in walk_metrics.items() if k != "schema_version"}
    (tmp_path / "metrics.json").write_text(json.dumps(m))
    assert spec.read_metrics(tmp_path / "metrics.json").schema_version == 1


@pytest.mark.parametrize("change, message", [
    ({"schema_version": 99}, "newer than this mocaplab reads"),
    ({"fps": "fast"}, "fps must be a positive number"),
    ({"events": {}}, "events must be a list"),
    ({"spatiotemporal": {"left": {"speed_m_s": "1.2"}}},
     "spatiotemporal.left.speed_m_s must be a number or null"),
    ({"cycles": {"left": {"knee": {"flexion": {"mean": [1.0, 2.0], "curves": [[1.0]]}}}}},
     "cycles.left.knee.flexion.curves must be a list of curves of 2 values"),
])
def test_invalid_files_name_the_file_and_the_problem(tmp_path, walk_metrics, change, message):
    m = {**walk_metrics, **change}
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(m))
    with pytest.raises(InputError, match=message) as info:
        spec.read_metrics(path)
    assert str(path) in str(info.value)
    if "schema_version" in change:  # write_metrics writes its own version
        return
    with pytest.raises(ValueError, match=message):
        spec.write_metrics(tmp_path / "out.json", m)
    assert not (tmp_path / "out.json").exists()


def test_not_json_and_missing(tmp_path):
    (tmp_path / "metrics.json").write_text("{nope")
    with pytest.raises(InputError, match="not valid JSON"):
        spec.read_metrics(tmp_path / "metrics.json")
    with pytest.raises(InputError, match="does not exist"):
        spec.read_metrics(tmp_path / "missing.json")


def test_values_iterates_in_registration_order(walk_metrics):
    keys = [v.metric.key for v in spec.parse_metrics(walk_metrics).values("spatiotemporal")]
    order = [m.key for m in spec.METRICS.in_section("spatiotemporal")]
    assert list(dict.fromkeys(keys)) == order
    assert all(np.isfinite(v.value) for v in spec.parse_metrics(walk_metrics).values()
               if v.value is not None)


#: section headings that happen to read like a metric's label
HEADINGS = {"Leg length", "Gait Profile Score"}


def label_texts(node: object, labels: set[str], headings: frozenset[str] = frozenset()
                ) -> list[str]:
    """The texts of a parsed module that spell a label: a string (not a docstring) that is a
    label, or that is a label with up to three more words, i.e. a label of its own built on a
    spec label ("Step length asymmetry |SI|", "Gait Profile Score, overall"); sentences that
    begin with a label are prose, not labels. ``headings``: labels that may stand alone as
    a section heading (but not be built on)."""
    import ast

    docs = {id(n.body[0].value) for n in ast.walk(node)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.body and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for n in ast.walk(node):
        if not isinstance(n, ast.Constant) or not isinstance(n.value, str) or id(n) in docs:
            continue
        text = n.value
        for label in labels:
            rest = text[len(label):]
            built_on = (text.startswith(label) and rest[:1] in (" ", ",", "(", ":")
                        and len(rest.split()) <= 3 and not rest.rstrip().endswith((".", ":")))
            if built_on or (text == label and label not in headings):
                out.append(f"{n.lineno} {text!r}")
    return out


def test_label_texts_finds_labels_built_on_a_spec_label():
    import ast

    labels = {"Step length", "Gait Profile Score"}
    code = ('"""Step length: a docstring."""\n'
            'A = ("Step length asymmetry |SI|", "Gait Profile Score, overall",\n'
            '     "Step length", "Step length is longer than before, which is good.",\n'
            '     "Gait Profile Score")\n')
    found = label_texts(ast.parse(code), labels, frozenset({"Gait Profile Score"}))
    assert [t.split(" ", 1)[1] for t in found] == [
        "'Step length asymmetry |SI|'", "'Gait Profile Score, overall'", "'Step length'"]


def test_labels_are_spelled_only_in_the_spec():
    """No product module spells a metric's or an angle's label itself, nor a label of its own
    built on one: it asks the spec (:meth:`Metric.value_label`; a relabelled metric then
    changes everywhere at once)."""
    import ast
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dirs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"].values()
    labels = {m.label for m in spec.METRICS} | {a.label for a in spec.ANGLES}
    found = set()
    for py in {p for d in dirs for p in (root / d).rglob("*.py")}:
        if py.name == "metrics_spec.py" and py.parent.name == "analysis":
            continue
        tree = ast.parse(py.read_text(encoding="utf-8"))
        found |= {f"{py.relative_to(root)}:{t}" for t in label_texts(tree, labels, HEADINGS)}
    assert sorted(found) == []


def test_every_per_side_fhir_metric_stores_its_overall_value():
    """A FHIR Observation's value is the both-sides value: analysis stores it (overall_from_sides)
    so that reporting never averages the sides at read time."""
    from mocaplab.analysis.metrics_spec import METRICS

    missing = [m.key for m in METRICS if m.fhir is not None and m.section != "spatiotemporal"
               and set(m.sides) >= {"left", "right"} and "overall" not in m.sides]
    assert missing == []
