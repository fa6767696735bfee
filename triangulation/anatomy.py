"""Limbs labelled the other way round in every view at once, found from the 3D skeleton.

A detector that swaps a limb (or the face) left/right in most views of a frame gives views that
agree with each other: the consensus of :mod:`.robust` then keeps the wrong labels and "fixes"
the one view that was right. No per-view check can see it; the skeleton can:

- a limb attached to the wrong side breaks the bones at its root: a right knee under the left
  hip makes a thigh of sqrt(thigh^2 + hip width^2 + stride^2), a left elbow at the right
  shoulder an upper arm of about sqrt(upper arm^2 + shoulder width^2);
- the face has no bone that tells (its bones join its own pairs and the nose, which is on the
  midline), but a face turned more than 90 degrees from the shoulders and hips is mirrored,
  and so is a face whose own forward, left and up (eyes above the mouth) are left-handed;
- both legs from the hips (or both arms from the shoulders) exchanged keep every bone of the
  limbs, but that half of the body becomes left-handed (:func:`halves_mirrored`).

:func:`misattached` returns, per frame, the keypoints whose labels are exchanged in 3D (each
with its counterpart). Candidates are the detector's swap groups but the whole body
(:func:`mocaplab.triangulation.robust.swap_groups`; a whole mirrored skeleton is
:func:`mocaplab.triangulation.run.mirrored_frames`) and the single left/right pairs with a
bone. For each, a two-state Viterbi path over the trial (:func:`group_relabelled`) weighs the
bones the exchange changes (against each bone's length over the trial, pooled over both sides
and taken at the 30th percentile: wrong frames lengthen those bones) against the 3D motion (a
label exchange by the views shows as a jump of the group to its counterpart's place); the
candidate whose path gains most is applied, then the others are looked at again (best first:
a shoulder pair exchanged alone breaks more bones than the forearm below it would fix).
Measured on the tuning scenes of ``benchmarks/persons_eval.py`` (docs/triangulation.md).
Pure functions.
"""

from __future__ import annotations

import warnings

import numpy as np

#: Name parts of face keypoints (mediapipe33 and similar names).
_FACE_PARTS = ("eye", "ear", "mouth")


def mirror_edges(edges: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    """(E,) index of each bone's left/right counterpart (itself for a bone across the
    midline or one without a counterpart)."""
    index = {frozenset((int(a), int(b))): i for i, (a, b) in enumerate(edges)}
    return np.array([index.get(frozenset((int(mirror[a]), int(mirror[b]))), i)
                     for i, (a, b) in enumerate(edges)], dtype=int)


def reference_lengths(points: np.ndarray, n_views: np.ndarray, edges: np.ndarray,
                      mirror: np.ndarray | None = None, strong_views: int = 3,
                      quantile: float = 0.5) -> np.ndarray:
    """(E,) each bone's length over the trial, metres: the ``quantile`` of its lengths in the
    frames where both its ends are seen by ``strong_views`` views or more (else in every
    frame), pooled with its counterpart's (``mirror``: a left and a right thigh are as long).
    A limb labelled the wrong way round mostly lengthens the bones at its root, so a quantile
    below the median is less drawn by such frames."""
    a, b = edges[:, 0], edges[:, 1]
    length = np.linalg.norm(points[:, a] - points[:, b], axis=-1)
    strong = (n_views[:, a] >= strong_views) & (n_views[:, b] >= strong_views)
    pick = np.where(strong, length, np.nan)
    pair = np.arange(len(edges)) if mirror is None else mirror_edges(edges, mirror)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanquantile(np.concatenate([pick, pick[:, pair]]), quantile, axis=0)
        every = np.nanquantile(np.concatenate([length, length[:, pair]]), quantile, axis=0)
    return np.where(np.isfinite(ref), ref, every)


def candidate_sets(names, mirror: np.ndarray, groups: list[np.ndarray],
                   edges: np.ndarray) -> list[np.ndarray]:
    """Keypoint sets that may be exchanged with their counterparts (each set holds both sides):
    every swap group but the first (the whole body), then every left/right pair that has a
    bone to a keypoint outside the pair."""
    mirror = np.asarray(mirror, dtype=int)
    out = [np.unique(np.concatenate([g, mirror[g]])) for g in groups[1:]]
    for k in range(len(mirror)):
        if mirror[k] <= k:
            continue
        pair = {k, int(mirror[k])}
        if any((int(a) in pair) != (int(b) in pair) for a, b in edges):
            out.append(np.array(sorted(pair)))
    return out


def _bone_cost(points: np.ndarray, edges: np.ndarray, ref: np.ndarray, cap_m: float
               ) -> np.ndarray:
    """(F, E) | length - reference |, capped; NaN where a bone end is missing."""
    length = np.linalg.norm(points[:, edges[:, 0]] - points[:, edges[:, 1]], axis=-1)
    return np.minimum(np.abs(length - ref), cap_m)


def face_mirrored(points: np.ndarray, names, mirror: np.ndarray, min_cos: float = 0.5
                  ) -> np.ndarray:
    """(F,) bool: frames whose face (eyes, ears, mouth pairs) points left where the shoulders
    and hips point right (cosine of their left-minus-right directions below ``-min_cos``; the
    shoulders and hips must agree with each other, cosine above ``min_cos``)."""
    F = points.shape[0]
    mirror = np.asarray(mirror, dtype=int)
    parts = [set(str(n).lower().split("_")) for n in names]
    face = [k for k in range(len(mirror)) if mirror[k] > k and parts[k] & set(_FACE_PARTS)]
    torso = [k for k in range(len(mirror)) if mirror[k] > k
             and parts[k] & {"shoulder", "hip"}]
    if not face or len(torso) < 2:
        return np.zeros(F, dtype=bool)

    def unit(v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return v / np.linalg.norm(v, axis=-1, keepdims=True)

    lat = points[:, :len(mirror)] - points[:, mirror]  # (F, K, 3) left minus right
    face_dir = unit(np.nansum(lat[:, face], axis=1))
    t = unit(lat[:, torso])  # (F, 2, 3)
    agree = np.einsum("fi,fi->f", t[:, 0], t[:, 1]) > min_cos
    torso_dir = unit(t[:, 0] + t[:, 1])
    c = np.einsum("fi,fi->f", face_dir, torso_dir)
    by_torso = (np.nan_to_num(c, nan=0.0) < -min_cos) & agree
    # without a torso that decides (shoulders out of a tightly framed view), the face's own
    # handedness: its forward (nose minus the ears' midpoint), its left and its up (the eyes'
    # minus the mouth's midpoint) are right-handed; the midpoints do not change when the face
    # is mirrored, its left does
    own = _face_handedness(points, names, face_dir)
    decides = agree & np.isfinite(c)
    return by_torso | (~decides & (np.nan_to_num(own, nan=0.0) < -min_cos))


def _face_handedness(points: np.ndarray, names, face_dir: np.ndarray) -> np.ndarray:
    """(F,) normalised (forward x left) . up of the face (NaN where a part is missing or the
    keypoint set lacks the names)."""
    names = [str(n) for n in names]
    need = ("nose", "left_ear", "right_ear", "left_eye", "right_eye", "mouth_left",
            "mouth_right")
    if not all(n in names for n in need):
        return np.full(points.shape[0], np.nan)
    P = {n: points[:, names.index(n)] for n in need}
    fwd = _unit(P["nose"] - 0.5 * (P["left_ear"] + P["right_ear"]))
    up = _unit(0.5 * (P["left_eye"] + P["right_eye"] - P["mouth_left"] - P["mouth_right"]))
    return np.einsum("fi,fi->f", np.cross(fwd, face_dir), up)


def _unit(v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _two_state_path(evidence: np.ndarray, switch: float) -> np.ndarray:
    """(F,) bool: the cheapest path of two states over the frames, where a frame costs
    ``max(0, evidence)`` in state False and ``max(0, -evidence)`` in state True (NaN: nothing)
    and a change of state costs ``switch``."""
    ev = np.nan_to_num(evidence, nan=0.0)
    emit = np.stack([np.maximum(ev, 0.0), np.maximum(-ev, 0.0)], -1)  # (F, 2)
    F = len(ev)
    path, _ = _viterbi_two_states(emit, np.zeros(F - 1), np.full(F - 1, float(switch)))
    return path


def _viterbi_two_states(emit: np.ndarray, t_same: np.ndarray,
                        t_cross: np.ndarray) -> tuple[np.ndarray, float]:
    """The cheapest path of two states: ``emit`` (F, 2) costs per frame and state, ``t_same`` /
    ``t_cross`` (F-1,) costs of keeping / changing the state between frames f and f+1.

    Returns:
        ((F,) bool, True in state 1; the path's total cost).
    """
    F = emit.shape[0]
    cost = emit[0].copy()
    back = np.zeros((F, 2), dtype=bool)
    for f in range(1, F):
        stay = cost + t_same[f - 1]
        move = cost[::-1] + t_cross[f - 1]
        back[f] = move < stay
        cost = np.minimum(stay, move) + emit[f]
    state = int(np.argmin(cost))
    path = np.zeros(F, dtype=bool)
    for f in range(F - 1, -1, -1):
        path[f] = state == 1
        if back[f, state]:
            state = 1 - state
    return path, float(cost.min())


#: Keypoints of the handedness of the lower and the upper body (mediapipe33 names).
_HALVES = ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "left_heel",
           "right_heel", "left_foot_index", "right_foot_index", "nose", "left_ear", "right_ear")


def halves_mirrored(points: np.ndarray, names, min_cos: float = 0.3, switch: float = 0.5
                    ) -> tuple[np.ndarray, np.ndarray]:
    """((F,) bool, (F,) bool): frames whose legs (hips included) and frames whose arms
    (shoulders included) are labelled the other way round against the rest of the body.

    Each half of the body has its own handedness: the hips' left (left minus right hip), the
    feet's forward (toes minus heels) and the up direction (shoulders' minus hips' midpoint)
    make a right-handed frame, and so do the shoulders' left, the face's forward (nose minus
    the ears' midpoint, which a mirrored face does not change) and up. Walking, the pelvis
    turns some 10 degrees against the feet and the thorax; a half is left-handed only when
    its left/right labels are exchanged: both legs from the hips exchanged in most views at
    once keep every bone of the legs, so :func:`group_relabelled` cannot see it (tuning scene
    863 of ``benchmarks/persons_eval.py``: 45 frames, every view agreeing), but its
    handedness flips. A half is taken as mirrored where its normalised triple product is below
    ``-min_cos`` and the other half's is not (a whole mirrored body is
    :func:`mocaplab.triangulation.run.mirrored_frames`), decided over the trial by a
    two-state path (``switch``: the cost of a change, in units of the normalised triple
    product) so that frames without the evidence (a foot out of view) between mirrored ones
    go with them. Keypoint sets without these names: never.
    """
    F = points.shape[0]
    none = np.zeros(F, dtype=bool)
    names = [str(n) for n in names]
    if not all(n in names for n in _HALVES):
        return none, none.copy()
    P = {n: points[:, names.index(n)] for n in _HALVES}
    up = 0.5 * (P["left_shoulder"] + P["right_shoulder"] - P["left_hip"] - P["right_hip"])
    feet = np.nansum(np.stack([P["left_foot_index"] - P["left_heel"],
                               P["right_foot_index"] - P["right_heel"]]), axis=0)
    feet = np.where(np.isfinite(feet).all(-1, keepdims=True) & (feet != 0).any(-1)[:, None],
                    feet, np.nan)
    face = P["nose"] - 0.5 * (P["left_ear"] + P["right_ear"])

    def handed(fwd: np.ndarray, left: np.ndarray) -> np.ndarray:
        return np.einsum("fi,fi->f", np.cross(_unit(fwd), _unit(left)), _unit(up))

    lower = handed(feet, P["left_hip"] - P["right_hip"])
    upper = handed(face, P["left_shoulder"] - P["right_shoulder"])
    low_ok = ~(np.nan_to_num(lower, nan=0.0) < -min_cos)
    up_ok = ~(np.nan_to_num(upper, nan=0.0) < -min_cos)
    # evidence that the half is mirrored: minus its handedness beyond min_cos, where the
    # other half is not mirrored too
    ev_low = np.where(up_ok, -lower - min_cos, np.nan)
    ev_up = np.where(low_ok, -upper - min_cos, np.nan)
    ev_low = np.where(np.isfinite(lower) & (np.abs(lower) > min_cos), ev_low, np.nan)
    ev_up = np.where(np.isfinite(upper) & (np.abs(upper) > min_cos), ev_up, np.nan)
    return _trimmed(_two_state_path(ev_low, switch), ev_low), _trimmed(
        _two_state_path(ev_up, switch), ev_up)


def _trimmed(path: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """``path`` with each run cut to its first and last frames of positive evidence (a run
    is not carried into frames that do not show it at its ends)."""
    out = np.zeros_like(path)
    pos = np.nan_to_num(evidence, nan=0.0) > 0
    f = 0
    while f < len(path):
        if not path[f]:
            f += 1
            continue
        g = f
        while g < len(path) and path[g]:
            g += 1
        hit = np.flatnonzero(pos[f:g])
        if hit.size:
            out[f + hit[0]:f + hit[-1] + 1] = True
        f = g
    return out


def _exchanged(points: np.ndarray, S: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    Y = points.copy()
    Y[:, S] = points[:, mirror[S]]
    return Y


def _held(X: np.ndarray) -> np.ndarray:
    """(F, n, 3) with every missing sample holding the last one seen (NaN before the first)."""
    F = X.shape[0]
    seen = np.isfinite(X).all(-1)  # (F, n)
    last = np.where(seen, np.arange(F)[:, None], -1)
    last = np.maximum.accumulate(last, axis=0)
    out = np.take_along_axis(X, np.maximum(last, 0)[..., None], axis=0)
    return np.where((last >= 0)[..., None], out, np.nan)


def group_relabelled(points: np.ndarray, S: np.ndarray, mirror: np.ndarray, edges: np.ndarray,
                     ref: np.ndarray, fps: float, cap_m: float = 0.2,
                     switch_m: float = 0.2) -> tuple[np.ndarray, float]:
    """(F,) bool: the frames where the keypoints ``S`` (both sides) are labelled the other way
    round in 3D, by a two-state Viterbi path over the trial.

    A state's cost in a frame is the error of the bones that an exchange of ``S`` changes
    (capped at ``cap_m``, metres, against the reference lengths ``ref``); between frames, the
    3D motion of ``S`` with the labels of the two states (capped; scaled to 60 fps), plus
    ``switch_m`` for a change of state. A label exchange by the views shows as every keypoint
    of ``S`` jumping to its counterpart's place (no body part moves 10-30 cm in a frame), and
    a wrong labelling between two such jumps has the wrong bones in every frame.

    Returns:
        (the frames, the path's gain: how much cheaper it is than keeping every label, metres).
    """
    F = points.shape[0]
    inside = np.isin(edges, S)
    cross = inside[:, 0] != inside[:, 1]
    if not cross.any() or F < 2:
        return np.zeros(F, dtype=bool), 0.0
    Y = _exchanged(points, S, mirror)
    e_as = _bone_cost(points, edges[cross], ref[cross], cap_m)
    e_ex = _bone_cost(Y, edges[cross], ref[cross], cap_m)
    both = np.isfinite(e_as) & np.isfinite(e_ex)
    emit = np.stack([np.where(both, e_as, 0.0).sum(1), np.where(both, e_ex, 0.0).sum(1)], -1)
    scale = fps / 60.0  # motion per frame at 60 fps
    P = _held(points[:, S])
    Q = _held(Y[:, S])  # the counterparts' trajectories
    d_same = np.linalg.norm(P[1:] - P[:-1], axis=-1) * scale  # (F-1, n)
    d_cross = np.linalg.norm(Q[1:] - P[:-1], axis=-1) * scale
    ok = np.isfinite(d_same) & np.isfinite(d_cross)
    t_same = np.where(ok, np.minimum(d_same, cap_m), 0.0).sum(-1)
    t_cross = np.where(ok, np.minimum(d_cross, cap_m), 0.0).sum(-1) + switch_m
    path, cost_min = _viterbi_two_states(emit, t_same, t_cross)
    # the cost of keeping every label as it is, minus that of the path
    gain = float(emit[:, 0].sum() + t_same.sum() - cost_min)
    return path, gain


def _pair_of(names, mirror: np.ndarray, root: str) -> np.ndarray | None:
    """The keypoints named ``left_<root>`` and its counterpart, or None."""
    names = [str(n) for n in names]
    if f"left_{root}" not in names:
        return None
    k = names.index(f"left_{root}")
    return np.array(sorted({k, int(mirror[k])}))


def _group_with(names, mirror: np.ndarray, groups: list[np.ndarray], root: str
                ) -> np.ndarray | None:
    """Both sides of the largest swap group but the whole body that holds the keypoint named
    ``left_<root>`` (the leg from the hip, the arm from the shoulder), or None."""
    names = [str(n) for n in names]
    if f"left_{root}" not in names:
        return None
    k = names.index(f"left_{root}")
    sets = [np.unique(np.concatenate([g, mirror[g]])) for g in groups[1:]]
    sets = [S for S in sets if k in S]
    return max(sets, key=len) if sets else None


def misattached(points: np.ndarray, n_views: np.ndarray, names, mirror: np.ndarray,
                groups: list[np.ndarray], edges: np.ndarray, fps: float,
                face: bool = True, limbs: bool = True, quantile: float = 0.3,
                rounds: int = 8, min_gain_m: float = 0.15, halves: bool = True
                ) -> np.ndarray:
    """(F, K) bool: keypoints whose labels are exchanged with their counterparts' in the 3D
    skeleton (module doc); exchanging them (in every view of those frames) restores the bones.

    First (``halves``), where the legs' or the arms' handedness is flipped against the rest
    of the body (:func:`halves_mirrored`), the hips (shoulders) alone or the whole leg from the
    hips (arm from the shoulders), whichever leaves the smaller bone error there. Then up to
    ``rounds`` times, the candidate set (:func:`candidate_sets`) whose relabelled frames
    (:func:`group_relabelled`) gain most, if by ``min_gain_m`` or more (0.15 m: tuning scenes
    of ``benchmarks/persons_eval.py``, saved points > 50 mm 0.75 -> 0.53 % with tight framing
    against 0.3 m, the other kinds unchanged), is exchanged in the skeleton. Then (``face``)
    the face where it is mirrored against the shoulders and hips (:func:`face_mirrored`).

    Args:
        points: (F, K, 3) metres; n_views: (F, K) views kept; names, mirror: the keypoint set;
        groups: swap groups (:func:`mocaplab.triangulation.robust.swap_groups`); edges: (E, 2)
        bones; fps: frame rate, Hz; limbs: look at the limbs and pairs; quantile: of the
        reference lengths (:func:`reference_lengths`).
    """
    mirror = np.asarray(mirror, dtype=int)
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    F, K = points.shape[:2]
    flipped = np.zeros((F, K), dtype=bool)
    if not len(edges) or not groups or F < 2:
        return flipped
    X = np.array(points, dtype=float, copy=True)
    if halves and limbs:  # legs or arms whose handedness is flipped (bones cannot tell)
        ref = reference_lengths(X, n_views, edges, mirror, quantile=quantile)
        legs, arms = halves_mirrored(X, names)
        for frames, root in ((legs, "hip"), (arms, "shoulder")):
            if not frames.any():
                continue
            # the root pair alone or the limb from it: the one whose bones fit best
            options = [S for S in (_pair_of(names, mirror, root),
                                   _group_with(names, mirror, groups, root)) if S is not None]
            if not options:
                continue
            cost = [np.nansum(_bone_cost(_exchanged(X[frames], S, mirror), edges, ref, 0.2))
                    for S in options]
            S = options[int(np.argmin(cost))]
            X[frames] = _exchanged(X[frames], S, mirror)
            flipped[np.ix_(frames, S)] ^= True
    ref = reference_lengths(X, n_views, edges, mirror, quantile=quantile)
    sets = candidate_sets(names, mirror, groups, edges) if limbs else []
    for _ in range(rounds):  # best first: the exchange that explains the most bones
        found = [group_relabelled(X, S, mirror, edges, ref, fps) for S in sets]
        if not found:
            break
        best = int(np.argmax([g for _, g in found]))
        path, gain = found[best]
        if gain < min_gain_m or not path.any():
            break
        S = sets[best]
        X[path] = _exchanged(X[path], S, mirror)
        flipped[np.ix_(path, S)] ^= True
    if face:
        mirrored = face_mirrored(X, names, mirror)
        if mirrored.any():
            parts = [set(str(n).lower().split("_")) for n in names]
            S = np.array([k for k in range(K)
                          if mirror[k] != k and parts[k] & set(_FACE_PARTS)])
            flipped[np.ix_(mirrored, S)] ^= True
    return flipped
