"""Several people: detections associated across views by geometry, across frames by tracking.

Input: every pose the detector returned in every view (:class:`~mocaplab.keypoints.poses2d.
Poses2D`, slots in the detector's order). Output: :class:`Association`, for each tracked person
the slot of its detection in each view and frame (or none).

1. **Swap-invariant features.** Each detection is summarised by the midpoints of its left/right
   keypoint pairs and its midline keypoints (``KeypointSet.mirror``): a view whose whole body or
   one limb is labelled left/right swapped has the same features, so swaps never break the
   association (they are fixed later, per keypoint, by :mod:`.robust`).
2. **Across views, per frame (geometry).** Every pair of detections in two cameras is
   triangulated from its features; a pair whose features reproject within the gate in both
   views seeds a person, which grows by the detection of each other camera that reprojects
   within the gate (one per camera), solved again from all its views; a view that pulls a
   person of 3 views or more away from its other views is dropped (:func:`disagreeing_view`).
   The person with the most views (then the smallest error) is kept, its detections removed,
   and so on until no pair is left. The gate is relative to the detection's size in the image
   (``gate_fraction`` x its height, at least ``gate_min_px``), so that it suits tightly framed
   and distant views alike.
3. **Across frames (tracking).** Each frame's people are linked to the tracks by the median 3D
   distance between their features and the track's last ones (features seen in both; so that
   a person half out of the views does not seem to jump) with an optimal assignment, gated
   by ``track_gate_m`` plus
   ``max_speed_m_s`` times the frames missed; a track unseen for ``max_gap_s`` ends. Tracks
   that never overlap in time and follow each other within those gates (a person seen by one
   view only for a while) are joined; tracks shorter than ``min_track_s`` are then dropped
   (chance agreements).
4. **Leftovers.** Detections still unassigned (a view that sees only a few keypoints, e.g. a
   foot entering a tightly framed view, has no left/right pair to form features; a frame where
   only one view had features) are compared with each person's 3D keypoints, interpolated
   over short gaps (:func:`attach_leftovers`): with left/right ambiguity allowed per keypoint,
   a detection within the gate of exactly one person joins it.
5. Tracks are ordered by camera-frames (number of (camera, frame) detections assigned), most
   first: ``P1`` is the person seen most; see :func:`select_subject` for the subject rule.
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

from mocaplab.camera import CameraSet
from mocaplab.errors import InputError
from mocaplab.signal import max_gap_frames
from mocaplab.triangulation.linear import (
    extrinsics,
    focal_lengths,
    normalized_observations,
    reprojection_errors,
    triangulate_weighted,
)


@dataclasses.dataclass(frozen=True)
class AssociationOptions:
    """Options of :func:`associate`.

    Attributes:
        min_confidence: feature keypoints below this confidence are not used.
        min_features: fewest features two detections must share to be compared.
        gate_fraction: a detection belongs to a person when its features reproject within
            this fraction of its image height (median over features).
        gate_min_px: the gate is never smaller than this, pixels.
        track_gate_m: largest 3D jump of a person's centre between consecutive frames, metres.
        max_speed_m_s: added to the gate per second a track went unseen.
        max_gap_s: a track unseen longer than this ends, seconds.
        min_track_s: shorter tracks are dropped, seconds.
        max_join_s: tracks that never overlap and follow each other within this time (and
            the gates) are joined into one person, seconds.
        max_error_rise: a view is not joined to a person when adding it raises the other
            members' reprojection errors by more than this (mean, in gates): it is another
            person whose place the other views cannot tell (see :func:`disagreeing_view`).
    """

    min_confidence: float = 0.3
    min_features: int = 3
    gate_fraction: float = 0.08
    gate_min_px: float = 12.0
    track_gate_m: float = 0.3
    max_speed_m_s: float = 3.0
    max_gap_s: float = 0.5
    min_track_s: float = 0.2
    max_join_s: float = 3.0
    max_error_rise: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.gate_fraction < 1 or self.gate_min_px <= 0:
            raise InputError("association gates must be positive (gate_fraction below 1)")
        if self.min_features < 2:
            raise InputError("min_features must be at least 2")


@dataclasses.dataclass(frozen=True, eq=False)
class Association:
    """People found in C views over F frames.

    Attributes:
        slots: (N, C, F) int, the detection slot of person n in camera c at frame f; -1 none.
        centres: (N, F, 3) metres, each person's 3D centre (NaN where not tracked).
        person_ids: N names "P1", "P2", ... ordered by camera-frames, most first.
        camera_frames: (N,) number of (camera, frame) detections assigned to each person.
        unassigned: (C,) detections of each camera assigned to nobody.
    """

    slots: np.ndarray
    centres: np.ndarray
    person_ids: tuple[str, ...]
    camera_frames: np.ndarray
    unassigned: np.ndarray

    @property
    def n_persons(self) -> int:
        return len(self.person_ids)

    def tracked(self) -> np.ndarray:
        """(N, F) bool: frames where each person is tracked (seen by >= 2 views)."""
        return (self.slots >= 0).sum(1) >= 2


def swap_invariant_features(points: np.ndarray, confidence: np.ndarray, mirror: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints of left/right pairs and midline keypoints: unchanged by left/right swaps.

    Args:
        points: (..., K, 2) pixels; confidence: (..., K); mirror: (K,) counterpart indices.
    Returns:
        (..., M, 2) feature pixels and (..., M) confidences (the smaller of the pair's).
    """
    mirror = np.asarray(mirror, dtype=int)
    i = np.array([k for k in range(len(mirror)) if mirror[k] >= k], dtype=int)
    j = mirror[i]
    feat = 0.5 * (points[..., i, :] + points[..., j, :])
    conf = np.minimum(confidence[..., i], confidence[..., j])
    return feat, conf


def _heights(points: np.ndarray) -> np.ndarray:
    """(...,) vertical extent of each detection's keypoints, pixels (NaN when none)."""
    y = points[..., 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(y, axis=-1) - np.nanmin(y, axis=-1)


def _median_error(err: np.ndarray, used: np.ndarray, min_features: int) -> np.ndarray:
    """Median over the last axis of ``err`` where ``used``; inf with fewer than min_features."""
    ok = used & np.isfinite(err)
    e = np.sort(np.where(ok, err, np.inf), axis=-1)
    n = ok.sum(-1)
    lo = np.take_along_axis(e, np.maximum(n - 1, 0)[..., None] // 2, -1)[..., 0]
    hi = np.take_along_axis(e, (n // 2)[..., None], -1)[..., 0] if e.shape[-1] else lo
    with np.errstate(invalid="ignore"):
        return np.where(n >= min_features, 0.5 * (lo + hi), np.inf)


def disagreeing_view(own_with: np.ndarray, own_without: np.ndarray, max_rise: float
                     ) -> np.ndarray:
    """The view that pulls a person away from its other views, if any.

    Two side views see a person's distance across the walkway as depth, so the detections of
    one person in two side views and of ANOTHER person in an end view all reproject within
    the gate from one 3D solution between them; the view of the other person moves the
    solution far along the rays of the rest, and their own errors rise. A true view of the
    same person changes them little.

    Args:
        own_with: (S, C) each member's normalised error (in gates) with every member solved;
            NaN where camera c is not a member.
        own_without: (S, C, C) [s, c, o]: member o's normalised error with view c left out.
        max_rise: largest mean rise of the other members' errors, gates.
    Returns:
        (S, C) bool: per person (of 3 views or more: 2 views always agree) at most one view,
        the one whose addition raises the other members' mean error most, when that rise is
        above ``max_rise``.
    """
    S, C = own_with.shape
    member = np.isfinite(own_with)
    others = member[:, None, :] & ~np.eye(C, dtype=bool)[None]  # (S, c, o)
    rise = np.where(others, own_with[:, None, :] - own_without, 0.0)
    n = others.sum(-1)
    with np.errstate(invalid="ignore"):
        mean_rise = np.where(member & (n > 0), rise.sum(-1) / np.maximum(n, 1), -np.inf)
    worst = np.argmax(mean_rise, axis=1)
    out = np.zeros((S, C), dtype=bool)
    bad = (member.sum(1) >= 3) & (mean_rise[np.arange(S), worst] > max_rise)
    out[np.flatnonzero(bad), worst[bad]] = True
    return out


class _Frame:
    """The geometry of one frame's detections: C cameras x P slots x M features; the methods
    work on S candidate people at once, each given by its members ((S, C) slot or -1)."""

    def __init__(self, Rt, focal, xn, w, gate, opt):
        self.Rt, self.focal, self.xn, self.w, self.gate, self.opt = Rt, focal, xn, w, gate, opt
        self.C, self.P, self.M = w.shape

    def solve(self, members: np.ndarray) -> np.ndarray:
        """(S, M, 3) features triangulated from each candidate's members."""
        S = len(members)
        c = np.arange(self.C)[None]
        slot = np.maximum(members, 0)
        xn = self.xn[c, slot]  # (S, C, M, 2)
        w = np.where((members >= 0)[..., None], self.w[c, slot], 0.0)  # (S, C, M)
        xn = xn.transpose(1, 0, 2, 3).reshape(self.C, S * self.M, 2)
        w = w.transpose(1, 0, 2).reshape(self.C, S * self.M)
        return triangulate_weighted(self.Rt, xn, w, self.focal).reshape(S, self.M, 3)

    def errors(self, X: np.ndarray) -> np.ndarray:
        """(S, C, P): median reprojection error of each candidate's features over each
        detection's features, divided by the detection's gate."""
        S = len(X)
        xn = np.broadcast_to(self.xn[:, None], (self.C, S, self.P, self.M, 2))
        Xt = np.broadcast_to(X[:, None], (S, self.P, self.M, 3)).reshape(-1, 3)
        err = reprojection_errors(self.Rt, xn.reshape(self.C, -1, 2), Xt, self.focal)
        err = err.reshape(self.C, S, self.P, self.M).transpose(1, 0, 2, 3)
        med = _median_error(err, (self.w > 0)[None], self.opt.min_features)
        return med / self.gate[None]

    def _own(self, members: np.ndarray, e: np.ndarray) -> np.ndarray:
        """(S, C) each member's own normalised error from ``e`` (S, C, P); NaN for no member."""
        s_idx, c_idx = np.arange(len(members))[:, None], np.arange(self.C)[None]
        return np.where(members >= 0, e[s_idx, c_idx, np.maximum(members, 0)], np.nan)

    def _own_without(self, members: np.ndarray) -> np.ndarray:
        """(S, C, C) [s, c, o]: member o's normalised error with view c left out."""
        S, C = members.shape
        loo = np.repeat(members[:, None], C, 1)  # (S, c, C)
        loo[:, np.arange(C), np.arange(C)] = -1
        flat = loo.reshape(S * C, C)
        e = self.errors(self.solve(flat))
        return self._own(flat, e).reshape(S, C, C)

    def grow(self, members: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add each other camera's best free detection within the gate, solve again, drop
        members outside the gate. Returns ((S, C) members, (S,) mean normalised error, inf
        for candidates left with fewer than 2 views)."""
        members = members.copy()
        S = len(members)
        if S == 0:
            return members, np.zeros(0)
        s_idx, c_idx = np.arange(S)[:, None], np.arange(self.C)[None]
        e = np.where(free[None], self.errors(self.solve(members)), np.inf)
        best = np.argmin(e, axis=2)  # (S, C)
        add = (members < 0) & (e[s_idx, c_idx, best] < 1.0)
        members[add] = best[add]
        e = self.errors(self.solve(members))
        if ((members >= 0).sum(1) >= 3).any():
            drop = disagreeing_view(self._own(members, e), self._own_without(members),
                                    self.opt.max_error_rise)
            if drop.any():
                members = np.where(drop, -1, members)
                e = self.errors(self.solve(members))
        own = np.where(members >= 0, e[s_idx, c_idx, np.maximum(members, 0)], np.inf)
        keep = own < 1.0
        members = np.where(keep, members, -1)
        n = keep.sum(1)
        with np.errstate(invalid="ignore"):
            err = np.where(n >= 2, np.where(keep, own, 0.0).sum(1) / np.maximum(n, 1), np.inf)
        return members, err


def _frame_people(frame: _Frame, pair_ok: np.ndarray) -> list[np.ndarray]:
    """Greedy association in one frame: (C,) member slots of each person found."""
    C = frame.C
    free = frame.w.sum(-1) > 0  # (C, P) detections present
    seeds = []
    for c1, c2 in itertools.combinations(range(C), 2):
        for p1, p2 in zip(*np.nonzero(pair_ok[c1, c2] & free[c1][:, None]
                                      & free[c2][None, :]), strict=True):
            seed = np.full(C, -1)
            seed[c1], seed[c2] = p1, p2
            seeds.append(seed)
    if not seeds:
        return []
    seeds = np.array(seeds)
    members, err = frame.grow(seeds, free)
    people = []
    while np.isfinite(err).any():
        n_views = (members >= 0).sum(1)
        key = np.where(np.isfinite(err), n_views * 1e6 - err, -np.inf)
        best = members[int(np.argmax(key))].copy()
        people.append(best)
        free[np.flatnonzero(best >= 0), best[best >= 0]] = False
        # seeds that lost a detection die; people that lost one are grown again
        used = np.zeros_like(free)
        used[np.flatnonzero(best >= 0), best[best >= 0]] = True
        c = np.arange(C)[None]
        seed_hit = ((seeds >= 0) & used[c, np.maximum(seeds, 0)]).any(1)
        member_hit = ((members >= 0) & used[c, np.maximum(members, 0)]).any(1)
        err[seed_hit] = np.inf
        redo = np.flatnonzero(member_hit & ~seed_hit & np.isfinite(err))
        if redo.size:
            members[redo], err[redo] = frame.grow(seeds[redo], free)
    return people


def _pair_gates(Rt, focal, xn, w, gate, opt) -> np.ndarray:
    """(C, C, P, P, F) bool: detection pairs whose two-view features reproject within the gate
    (upper triangle c1 < c2 filled)."""
    C, F, P, M, _ = xn.shape
    ok = np.zeros((C, C, P, P, F), dtype=bool)
    for c1, c2 in itertools.combinations(range(C), 2):
        sel = [c1, c2]
        for p1, p2 in itertools.product(range(P), range(P)):
            x2 = np.stack([xn[c1, :, p1], xn[c2, :, p2]]).reshape(2, F * M, 2)
            w2 = np.stack([w[c1, :, p1], w[c2, :, p2]]).reshape(2, F * M)
            both = (w2 > 0).all(0)
            if both.reshape(F, M).sum(1).max(initial=0) < opt.min_features:
                continue
            X = triangulate_weighted(Rt[sel], x2, np.where(both, w2, 0.0), focal[sel])
            err = reprojection_errors(Rt[sel], x2, X, focal[sel]).reshape(2, F, M)
            med = _median_error(err, both.reshape(F, M)[None], opt.min_features)  # (2, F)
            ok[c1, c2, p1, p2] = (med[0] < gate[c1, :, p1]) & (med[1] < gate[c2, :, p2])
    return ok


def associate_views(cameras: CameraSet, points: np.ndarray, confidence: np.ndarray,
                    mirror: np.ndarray, options: AssociationOptions | None = None
                    ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """People in each frame, by geometry only.

    Args:
        cameras: the C cameras.
        points: (C, F, P, K, 2) every detection's pixels; confidence: (C, F, P, K).
        mirror: (K,) left/right counterparts.
    Returns:
        For each frame, a list of (members (C,) slot or -1, features (M, 3) metres, NaN where
        not solved).
    """
    opt = options or AssociationOptions()
    C, F, P, K, _ = points.shape
    feat, fconf = swap_invariant_features(points, confidence, mirror)
    w = np.where((fconf >= opt.min_confidence) & np.isfinite(feat).all(-1), fconf, 0.0)
    xn = normalized_observations(cameras, feat)
    Rt, focal = extrinsics(cameras), focal_lengths(cameras)
    height = _heights(np.where((confidence >= opt.min_confidence)[..., None], points, np.nan))
    gate_px = np.maximum(opt.gate_min_px, opt.gate_fraction * np.nan_to_num(height))
    pair_ok = _pair_gates(Rt, focal, xn, w, gate_px, opt)
    out = []
    for f in range(F):
        frame = _Frame(Rt, focal, xn[:, f], w[:, f], gate_px[:, f], opt)
        people = []
        for members in _frame_people(frame, pair_ok[..., f]):
            X = frame.solve(members[None])[0]
            if np.isfinite(X).all(-1).any():
                people.append((members, X))
        out.append(people)
    return out


def _centre(X: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(X, axis=0)


def _feature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Median distance between the features (M, 3) solved in both; else between centres."""
    d = np.linalg.norm(a - b, axis=-1)
    d = d[np.isfinite(d)]
    if d.size >= 2:
        return float(np.median(d))
    return float(np.linalg.norm(_centre(a) - _centre(b)))


def _end_features(track: dict, last: bool, window: int) -> np.ndarray:
    """(M, 3) each feature's latest (``last``) or earliest position within ``window`` frames
    of the track's end or start (a person half out of the views shows different features in
    different frames)."""
    frames = sorted(track["frames"], reverse=last)[:window]
    out = np.full_like(track["frames"][frames[0]][1], np.nan)
    for f in reversed(frames):  # the frame nearest the end wins
        X = track["frames"][f][1]
        ok = np.isfinite(X).all(-1)
        out[ok] = X[ok]
    return out


def _join_fragments(tracks: list[dict], fps: float, opt: AssociationOptions) -> list[dict]:
    """Join tracks that never overlap in time when one ends where the other starts (within
    the track gate plus ``max_speed_m_s`` per second between them, at most ``max_join_s``
    apart): a person who left every view but one for a while is one person. Ends are compared
    by their features over the last / first 0.25 s, else by the horizontal distance of their
    centres. The nearest pair is joined first."""
    limit = opt.max_join_s * fps
    window = max(1, int(round(0.25 * fps)))
    while True:
        best = None
        for a, ta in enumerate(tracks):
            fa = max(ta["frames"])
            end = _end_features(ta, True, window)
            for b, tb in enumerate(tracks):
                fb = min(tb["frames"])
                if a == b or fb <= fa or fb - fa > limit:
                    continue
                start = _end_features(tb, False, window)
                d = np.linalg.norm(end - start, axis=-1)
                d = d[np.isfinite(d)]
                d = (float(np.median(d)) if d.size >= 2 else
                     float(np.linalg.norm((_centre(end) - _centre(start))[:2])))
                gate = opt.track_gate_m + opt.max_speed_m_s * (fb - fa - 1) / fps
                if d <= gate and (best is None or d < best[0]):
                    best = (d, a, b)
        if best is None:
            return tracks
        _, a, b = best
        tracks[a]["frames"].update(tracks[b]["frames"])
        tracks[a]["last"] = max(tracks[a]["frames"])
        del tracks[b]


def track_people(frames: list[list[tuple[np.ndarray, np.ndarray]]], n_cameras: int,
                 fps: float, options: AssociationOptions | None = None) -> Association:
    """Link each frame's people (from :func:`associate_views`) into tracks."""
    opt = options or AssociationOptions()
    F = len(frames)
    tracks: list[dict] = []  # {"frames": {f: (members, centre)}, "last": f}
    max_gap = max(1, max_gap_frames(fps, opt.max_gap_s))
    for f, people in enumerate(frames):
        active = [t for t in tracks if f - t["last"] <= max_gap]
        if people and active:
            cost = np.full((len(active), len(people)), np.inf)
            for a, t in enumerate(active):
                gap = f - t["last"]
                gate = opt.track_gate_m + opt.max_speed_m_s * (gap - 1) / fps
                last = t["frames"][t["last"]][1]
                for b, (_, X) in enumerate(people):
                    d = _feature_distance(X, last)
                    if d <= gate:
                        cost[a, b] = d
            big = 1e6
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
            taken = set()
            for a, b in zip(rows, cols, strict=True):
                if np.isfinite(cost[a, b]):
                    active[a]["frames"][f] = people[b]
                    active[a]["last"] = f
                    taken.add(b)
        else:
            taken = set()
        for b, person in enumerate(people):
            if b not in taken:
                tracks.append({"frames": {f: person}, "last": f})
    tracks = _join_fragments(tracks, fps, opt)
    min_len = max(2, int(round(opt.min_track_s * fps)))
    tracks = [t for t in tracks if len(t["frames"]) >= min(min_len, F)]
    slots = np.full((len(tracks), n_cameras, F), -1)
    centres = np.full((len(tracks), F, 3), np.nan)
    for n, t in enumerate(tracks):
        for f, (members, X) in t["frames"].items():
            slots[n, :, f] = members
            centres[n, f] = _centre(X)
    counts = (slots >= 0).sum((1, 2))
    order = np.argsort(-counts, kind="stable")
    slots, centres, counts = slots[order], centres[order], counts[order]
    return Association(slots, centres, tuple(f"P{n + 1}" for n in range(len(order))), counts,
                       np.zeros(n_cameras, dtype=int))


def associate(cameras: CameraSet, points: np.ndarray, confidence: np.ndarray,
              mirror: np.ndarray, fps: float, options: AssociationOptions | None = None
              ) -> Association:
    """Associate detections across views and frames (module doc). Shapes as
    :func:`associate_views`."""
    C = points.shape[0]
    frames = associate_views(cameras, points, confidence, mirror, options)
    assoc = track_people(frames, C, fps, options)
    present = (confidence > 0).any(-1)  # (C, F, P)
    used = np.zeros_like(present)
    for n in range(assoc.n_persons):
        c, f = np.nonzero(assoc.slots[n] >= 0)
        used[c, f, assoc.slots[n][c, f]] = True
    unassigned = (present & ~used).sum((1, 2))
    return dataclasses.replace(assoc, unassigned=unassigned)


def _interpolate(X: np.ndarray, max_gap: int) -> np.ndarray:
    """(F, K, 3) with gaps of at most ``max_gap`` frames filled linearly (per keypoint)."""
    out = X.copy()
    F = X.shape[0]
    t = np.arange(F)
    for k in range(X.shape[1]):
        ok = np.isfinite(X[:, k]).all(-1)
        if ok.sum() < 2 or ok.all():
            continue
        idx = np.flatnonzero(ok)
        nxt = np.searchsorted(idx, t)
        prev_i = idx[np.clip(nxt - 1, 0, len(idx) - 1)]
        next_i = idx[np.clip(nxt, 0, len(idx) - 1)]
        fill = ~ok & (t > idx[0]) & (t < idx[-1]) & (next_i - prev_i <= max_gap + 1)
        for d in range(3):
            out[fill, k, d] = np.interp(t[fill], idx, X[idx, k, d])
    return out


def attach_leftovers(cameras: CameraSet, points: np.ndarray, confidence: np.ndarray,
                     mirror: np.ndarray, assoc: Association, persons3d: np.ndarray, fps: float,
                     options: AssociationOptions | None = None) -> Association:
    """Give unassigned detections to the person whose 3D keypoints explain them (module doc).

    Args:
        points: (C, F, P, K, 2), confidence: (C, F, P, K): the detections.
        persons3d: (N, F, K, 3) each person's triangulated keypoints (NaN where not solved).
    """
    opt = options or AssociationOptions()
    C, F, P, K, _ = points.shape
    N = assoc.n_persons
    if N == 0:
        return assoc
    slots = assoc.slots.copy()
    used = np.zeros((C, F, P), dtype=bool)
    for n in range(N):
        c, f = np.nonzero(slots[n] >= 0)
        used[c, f, slots[n][c, f]] = True
    ok_kp = (confidence >= opt.min_confidence) & np.isfinite(points).all(-1)
    todo = ok_kp.any(-1) & ~used  # (C, F, P)
    if not todo.any():
        return assoc
    gap = max(1, max_gap_frames(fps, opt.max_gap_s))
    mirror = np.asarray(mirror, dtype=int)
    err = np.full((N, C, F, P), np.inf)
    for n in range(N):
        X = _interpolate(persons3d[n], gap)
        proj = cameras.project(X)  # (C, F, K, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            height = np.nanmax(proj[..., 1], -1) - np.nanmin(proj[..., 1], -1)  # (C, F)
        gate = np.maximum(opt.gate_min_px, opt.gate_fraction * np.nan_to_num(height))
        d_same = np.linalg.norm(points - proj[:, :, None], axis=-1)  # (C, F, P, K)
        d_mirr = np.linalg.norm(points - proj[:, :, None][..., mirror, :], axis=-1)
        d = np.fmin(d_same, d_mirr)
        med = _median_error(d, ok_kp, min(opt.min_features, 2))
        err[n] = med / gate[:, :, None]
        err[n][slots[n] >= 0] = np.inf  # one detection per person and view
    c_i, f_i, p_i = np.nonzero(todo)
    e = err[:, c_i, f_i, p_i]  # (N, D)
    inside = e < 1.0
    for d in np.flatnonzero(inside.sum(0) == 1):
        n = int(np.argmax(inside[:, d]))
        c, f, p = c_i[d], f_i[d], p_i[d]
        if slots[n, c, f] < 0:
            slots[n, c, f] = p
    counts = (slots >= 0).sum((1, 2))
    present = (confidence > 0).any(-1)
    used[:] = False
    for n in range(N):
        c, f = np.nonzero(slots[n] >= 0)
        used[c, f, slots[n][c, f]] = True
    return dataclasses.replace(assoc, slots=slots, camera_frames=counts,
                               unassigned=(present & ~used).sum((1, 2)))


def person_views(points: np.ndarray, confidence: np.ndarray, slots: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One person's 2D keypoints from its slots.

    Args:
        points: (C, F, P, K, 2); confidence: (C, F, P, K); slots: (C, F) slot or -1.
    Returns:
        (C, F, K, 2) pixels (NaN where the person has no detection) and (C, F, K) confidence.
    """
    C, F = slots.shape
    c, f = np.nonzero(slots >= 0)
    out_p = np.full((C, F) + points.shape[3:], np.nan)
    out_c = np.zeros((C, F, points.shape[3]))
    out_p[c, f] = points[c, f, slots[c, f]]
    out_c[c, f] = confidence[c, f, slots[c, f]]
    return out_p, out_c
