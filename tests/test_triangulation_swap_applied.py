"""A left/right exchange found by the robust triangulation is applied to both keypoints of the
pair (the left one takes the right's pixels and the right one the left's)."""

import numpy as np

from mocaplab.triangulation.run import _swap_applied


def test_swap_exchanges_both_sides_of_every_pair():
    rng = np.random.default_rng(3)
    C, F, K = 3, 5, 4
    mirror = np.array([1, 0, 3, 2])  # (0, 1) and (2, 3) are left/right pairs
    pixels = rng.uniform(0, 1000, (C, F, K, 2))
    swapped = np.zeros((C, F, K), bool)
    for c, f, k in [(0, 1, 0), (2, 4, 3), (1, 0, 1)]:
        swapped[c, f, k] = swapped[c, f, mirror[k]] = True
    out = _swap_applied(pixels, swapped, mirror)
    for c, f, k in zip(*np.nonzero(swapped), strict=True):
        np.testing.assert_array_equal(out[c, f, k], pixels[c, f, mirror[k]])
    np.testing.assert_array_equal(out[~swapped], pixels[~swapped])
    np.testing.assert_array_equal(np.sort(out, axis=2), np.sort(pixels, axis=2))
