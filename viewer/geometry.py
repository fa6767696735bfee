"""Open3D geometry and materials from the pure scene arrays of :mod:`mocaplab.viewer.scene`.

Shared by the window (:mod:`.gui`) and the offscreen renderer (:mod:`.render`). The per-frame
skeleton is rebuilt from preallocated NumPy buffers (one line set for the bones, one merged
triangle mesh for all joint spheres) so that a frame costs two small uploads, whatever the
trial length.

The joint mesh (the one triangle mesh) carries texture coordinates, all zero. Open3D's
``defaultUnlit`` material samples its albedo texture with 8x anisotropic filtering; a mesh
without UVs leaves the shader's UV input undefined, and on Mesa's software Vulkan (lavapipe;
llvmpipe's anisotropic loop runs over a texel footprint sized by the UV derivatives) undefined
UVs made a frame take seconds or never end: the ``render_to_image`` stalls of docs/viewer.md.
Constant UVs give zero derivatives, a footprint of one texel.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d
import open3d.visualization.rendering as rendering

from mocaplab.viewer.scene import FrameSkeleton, Lines

BONE_WIDTH_PX = 5.0
GRID_WIDTH_PX = 1.5
JOINT_RADIUS_M = 0.025

#: Geometry names in the Open3D scene.
BONES, JOINTS, TRAILS, GRID, FRUSTUMS, AXES = ("bones", "joints", "trails", "grid", "frustums",
                                              "axes")
LEVELS = "levels"
ALL_NAMES = (BONES, JOINTS, TRAILS, GRID, FRUSTUMS, AXES, LEVELS)
LEVEL_WIDTH_PX = 7.0


def line_material(width_px: float = BONE_WIDTH_PX) -> rendering.MaterialRecord:
    m = rendering.MaterialRecord()
    m.shader = "unlitLine"
    m.line_width = float(width_px)
    return m


def mesh_material() -> rendering.MaterialRecord:
    m = rendering.MaterialRecord()
    m.shader = "defaultUnlit"
    return m


def to_lineset(lines: Lines) -> o3d.geometry.LineSet:
    ls = o3d.geometry.LineSet()
    ls.points = o3d.utility.Vector3dVector(np.ascontiguousarray(lines.points, dtype=float))
    ls.lines = o3d.utility.Vector2iVector(np.ascontiguousarray(lines.lines, dtype=np.int32))
    ls.colors = o3d.utility.Vector3dVector(np.ascontiguousarray(lines.colors, dtype=float))
    return ls


class SkeletonGeometry:
    """Builds the bones line set and the joint-sphere mesh of a frame from reused buffers.

    Args:
        max_joints: the number of keypoints K (buffers are sized for all of them).
        radius: joint sphere radius, metres.
    """

    def __init__(self, max_joints: int, radius: float = JOINT_RADIUS_M, resolution: int = 6):
        sphere = o3d.geometry.TriangleMesh.create_sphere(radius, resolution)
        self._v = np.asarray(sphere.vertices).copy()  # (V, 3)
        tri = np.asarray(sphere.triangles).astype(np.int32)  # (T, 3)
        nv = len(self._v)
        self._tri_all = (tri[None] + (np.arange(max_joints) * nv)[:, None, None]).reshape(-1, 3)
        self._nv, self._nt = nv, len(tri)
        self._verts = np.empty((max_joints * nv, 3))
        self._cols = np.empty((max_joints * nv, 3))
        self._uvs = np.zeros((max_joints * len(tri) * 3, 2))  # per triangle corner (module doc)

    def joints_mesh(self, joints: np.ndarray, colors: np.ndarray) -> o3d.geometry.TriangleMesh:
        """One mesh with a sphere at each of ``joints`` (J, 3), coloured ``colors`` (J, 3)."""
        j = len(joints)
        verts = self._verts[: j * self._nv].reshape(j, self._nv, 3)
        np.add(self._v[None], joints[:, None, :], out=verts)
        cols = self._cols[: j * self._nv].reshape(j, self._nv, 3)
        cols[:] = colors[:, None, :]
        mesh = o3d.geometry.TriangleMesh()
        mesh.vertices = o3d.utility.Vector3dVector(verts.reshape(-1, 3))
        mesh.triangles = o3d.utility.Vector3iVector(self._tri_all[: j * self._nt])
        mesh.vertex_colors = o3d.utility.Vector3dVector(cols.reshape(-1, 3))
        mesh.triangle_uvs = o3d.utility.Vector2dVector(self._uvs[: j * self._nt * 3])
        return mesh

    def bones(self, frame: FrameSkeleton) -> o3d.geometry.LineSet:
        return to_lineset(Lines(frame.line_points, frame.lines, frame.line_colors))


def set_frame(scene: rendering.Open3DScene | rendering.Scene, builder: SkeletonGeometry,
              frame: FrameSkeleton, prefix: str = "", trail: Lines | None = None,
              levels: Lines | None = None) -> None:
    """Replace the skeleton (and trails, pelvis/shoulder level lines) of a scene by those of
    ``frame``."""
    add = scene.add_geometry
    for name in (BONES, JOINTS, TRAILS, LEVELS):
        if scene.has_geometry(prefix + name):
            scene.remove_geometry(prefix + name)
    if len(frame.lines):
        add(prefix + BONES, builder.bones(frame), line_material())
    if len(frame.joints):
        add(prefix + JOINTS, builder.joints_mesh(frame.joints, frame.joint_colors),
            mesh_material())
    if trail is not None and len(trail.lines):
        add(prefix + TRAILS, to_lineset(trail), line_material(2.0))
    if levels is not None and len(levels.lines):
        add(prefix + LEVELS, to_lineset(levels), line_material(LEVEL_WIDTH_PX))


def add_static(scene, grid: Lines | None, frustums: Lines | None, axes: Lines | None,
               prefix: str = "") -> None:
    """Add the floor grid, camera frustums and lab axes (geometry that never changes)."""
    for name, lines, width in ((GRID, grid, GRID_WIDTH_PX), (FRUSTUMS, frustums, 2.0),
                               (AXES, axes, 3.0)):
        if lines is not None and len(lines.lines):
            if scene.has_geometry(prefix + name):
                scene.remove_geometry(prefix + name)
            scene.add_geometry(prefix + name, to_lineset(lines), line_material(width))
