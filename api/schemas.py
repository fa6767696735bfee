"""Response models of the results API (they document the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

#: the largest ``offset`` a list accepts (larger: 422; a database integer overflows far above)
MAX_OFFSET = 1_000_000
#: the largest frame index a query accepts (10^8 frames = 11 days at 100 Hz)
MAX_FRAME = 100_000_000


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str


class ErrorOut(BaseModel):
    detail: Any = Field(description="what was wrong with the request and what to do")


class SubjectOut(BaseModel):
    code: str = Field(description="subject id (folder name)")
    sex: str | None = None
    age: float | None = None
    n_sessions: int
    n_trials: int


class SubjectList(BaseModel):
    total: int
    items: list[SubjectOut]


class SessionOut(BaseModel):
    code: str
    date: str | None = None
    trials: list[str]


class SubjectDetail(SubjectOut):
    sessions: list[SessionOut]


class TrialOut(BaseModel):
    key: str = Field(description="subject/session/trial")
    subject: str
    session: str
    trial: str
    status: str = Field(description="created, recorded, detected, triangulated, analyzed, error")
    fps: float | None = None
    n_cameras: int | None = None
    date: str | None = None
    calibration: str | None = Field(None, description="calibration file (relative to the lab)")
    indexed_at: str
    error: str | None = None


class TrialList(BaseModel):
    total: int
    items: list[TrialOut]


class TrialDetail(BaseModel):
    key: str
    meta: dict[str, Any]
    status: dict[str, Any] = Field(description="stage reached and which stage files exist")
    indexed: TrialOut | None = None


class SpatiotemporalRow(BaseModel):
    name: str
    unit: str
    left: float | None
    right: float | None
    overall: float | None
    symmetry_index_pct: float | None = Field(description="100 (L - R) / mean(L, R)")
    symmetry_source: str | None


class Summary(BaseModel):
    name: str
    side: str
    value: float
    unit: str


class MetricsOut(BaseModel):
    key: str
    fps: float | None
    first_frame: int
    spatiotemporal: list[SpatiotemporalRow]
    leg_length: dict[str, Any]
    summary: list[Summary]
    provenance: dict[str, Any]


class EventOut(BaseModel):
    side: str
    type: str
    time_s: float
    frame: int


class EventsOut(BaseModel):
    key: str
    fps: float | None
    events: list[EventOut]


class CurveOut(BaseModel):
    """One angle over the side's gait cycles, as analysis stored it (metrics.json ``cycles``)."""

    mean: list[float | None]
    sd: list[float | None] = Field(description="SD over the cycles (null with one cycle)")
    n_cycles: int = Field(description="cycles with data for this angle")
    cycles: list[list[float | None]] = Field(description="each cycle's curve, if asked (empty "
                                             "for files analysed before schema version 2)")
    label: str | None = Field(None, description="what people read (metrics specification)")
    unit: str = "deg"
    positive: str | None = Field(None, description="meaning of positive values")
    negative: str | None = Field(None, description="meaning of negative values")
    vicon: str | None = Field(None, description="the Vicon output it equals, e.g. KneeAngles X")
    estimated: str | None = Field(None, description="how it was estimated (landmark "
                                  "estimation from video keypoints); null: measured")
    not_reliable: str | None = Field(None, description="why analysis flags it as not reliable "
                                     "(metrics.json provenance.kinematics.reliability); null: "
                                     "not flagged")
    not_computed: str | None = Field(None, description="why it is null on purpose; null: it "
                                     "is computed")


class CurvesOut(BaseModel):
    key: str
    segment: str
    side: str
    percent: list[float]
    angles: dict[str, CurveOut]


class PointsOut(BaseModel):
    key: str
    fps: float
    keypoints: list[str]
    n_frames_total: int
    frames: list[int] = Field(description="1-based frame numbers returned")
    points: list[list[list[float | None]]] = Field(description="[frame][keypoint][x,y,z] metres")
    next_start: int | None = Field(description="start index of the next page, null at the end")


class CompareRow(BaseModel):
    metric: str
    unit: str
    a: float | None
    b: float | None
    difference: float | None = Field(description="b - a")
    verdict: str


class CompareOut(BaseModel):
    a: str
    b: str
    rows: list[CompareRow]
    spatiotemporal: list[dict[str, Any]]


class JobOut(BaseModel):
    id: str
    trial_key: str
    state: str = Field(description="queued, running, succeeded or failed")
    progress: float = Field(description="0..1")
    message: str
    requested_by: str
    created: str | None
    started: str | None
    finished: str | None


class JobList(BaseModel):
    items: list[JobOut]


class IndexResult(BaseModel):
    trials: int
    removed: int
    errors: list[str]
    #: trial folders below the lab that are not at <subject>/<session>/<trial>/ or not named
    #: by valid ids, with why: not indexed (outside the lab for the API and the clinic)
    not_indexed: list[str] = []


class Annotations(BaseModel):
    """Operator notes stored in meta.json under ``annotations``."""

    notes: str | None = Field(None, max_length=2000)
    tags: list[str] | None = Field(None, max_length=20)


class MetricDefinition(BaseModel):
    """One metric of the metrics spec (mocaplab.analysis.metrics_spec)."""

    key: str = Field(description="name in summaries, CSV, FHIR codes and the lab index")
    path: str = Field(description="place in metrics.json; {side} stands for each of sides")
    sides: list[str]
    section: str
    label: str
    unit: str
    better: str = Field(description="higher, lower, symmetry, or empty (not judged)")
    normal_range: str | None = Field(None, description="source of the normal range")
    fhir_display: str | None = Field(None, description="FHIR display; null: not in FHIR")
    description: str


class AngleDefinition(BaseModel):
    """One angle component of metrics.json ``angles`` (metrics_spec.ANGLES)."""

    path: str = Field(description="angles.<segment>.{side}.<component>")
    segment: str
    component: str
    label: str
    unit: str
    positive: str = Field(description="meaning of positive values")
    negative: str = Field(description="meaning of negative values")
    vicon: str = Field(description="the Vicon output it equals, e.g. KneeAngles X")


class MetricDefinitions(BaseModel):
    schema_version: int = Field(description="metrics.json schema version")
    items: list[MetricDefinition]
    angles: list[AngleDefinition] = Field(default_factory=list,
                                          description="angle curves (one value per frame)")
