"""MRI protocols as data, and their arithmetic: voxel size, acquisition time, read bandwidth and
the chemical-shift displacement of an off-resonance species along the read direction.

A :class:`Protocol` holds what a paper's Methods print (field, FOV, matrix, TR, TE, flip angle,
averages, gradient) in SI units; the arithmetic is computed, never copied. Liu et al. (Nat. Mater.
2025) print 26.4 h for their 3-D protocol, whose own numbers give 0.25 s × 100 × 32 × 128 =
28.4 h; they also print 394.7 MHz for ⁷Li at 21.1 T, which γ puts at 349.2 MHz.

Axes follow DESIGN.md: ``fov`` and ``matrix`` are (z, y, x); a 2-D protocol has ``matrix[0] == 1``
and ``fov[0]`` its slice thickness (``None``: a projection through the whole object). The read
axis is one of ``"z", "y", "x"``; every other axis with more than one sample is phase-encoded.

Why by hand: the MRI simulators (JEMRIS, KomaMRI, MRzero, sigpy) take protocols as pulse-sequence
objects; the handful of closed-form relations needed here do not justify one as a dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..._checks import check_choice, check_positive, check_range
from ...errors import GeometryError, InputError
from ..nuclei import larmor_frequency, nucleus

__all__ = [
    "AXES",
    "SEQUENCES",
    "Protocol",
    "acquisition_time",
    "check_covers",
    "displacement",
    "liu2025_flash",
    "liu2025_gre3d",
    "voxel_size",
]

AXES = ("z", "y", "x")
#: "flash": spoiled gradient echo (2-D or 3-D); "gre": gradient echo; "se": spin echo; "csi": phase
#: encoding on every spatial axis and a free-induction decay as the spectral dimension.
SEQUENCES = ("flash", "gre", "se", "csi")


def voxel_size(fov, matrix) -> np.ndarray:
    """Voxel edge(s) FOV / matrix (m) per axis; ``fov`` in m, ``matrix`` positive integers."""
    f = np.atleast_1d(np.asarray(fov, dtype=float))
    m = np.atleast_1d(np.asarray(matrix))
    if f.shape != m.shape:
        raise InputError(f"matrix: expected one size per FOV axis ({f.size}), got {m.tolist()}")
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise InputError(f"fov: every extent must be > 0 m, got {f.tolist()}")
    if np.any(m <= 0) or np.any(m != np.round(m)):
        raise InputError(f"matrix: every size must be a positive integer, got {m.tolist()}")
    return f / m


def acquisition_time(tr: float, phase_encodes: int, averages: int = 1) -> float:
    """Scan time (s) = TR × phase-encoding steps × averages (one echo per TR)."""
    t = check_positive("tr", tr, unit="s")
    for name, v in (("phase_encodes", phase_encodes), ("averages", averages)):
        if int(v) != v or v < 1:
            raise InputError(f"{name}: must be a positive integer, got {v!r}")
    return t * int(phase_encodes) * int(averages)


def displacement(shift_ppm, field: float, gradient: float):
    """Read-direction displacement (m) of a species ``shift_ppm`` off the receiver frequency:
    ``δ B0 / G`` (the offset Δν = γ̄ δ B0 is mistaken for the position Δν / (γ̄ G)); positive
    shifts move toward positive read coordinate."""
    b0 = check_positive("field", field, unit="T")
    g = check_positive("gradient", gradient, unit="T/m")
    return np.asarray(shift_ppm, dtype=float) * 1e-6 * b0 / g


@dataclass(frozen=True)
class Protocol:
    """An imaging protocol (SI units; angles in rad; axes (z, y, x)).

    ``read_gradient`` (T/m) sets the read bandwidth ``γ̄ G FOV_read`` and the chemical-shift
    displacement; ``receiver_ppm`` is the shift on resonance (0: the garnet/reference frame).
    ``t1``/``t2star`` overrides by species (s) go to :mod:`.relaxation`. ``spectral_points`` and
    ``dwell`` are the FID of a CSI protocol.
    """

    name: str
    sequence: str
    field: float
    fov: tuple
    matrix: tuple
    tr: float
    te: float
    flip_angle: float
    averages: int = 1
    read_axis: str = "x"
    read_gradient: float = 0.6
    nucleus: str = "7Li"
    receiver_ppm: float = 0.0
    spectral_points: int = 256
    dwell: float = 10e-6
    source: str = ""
    assumptions: tuple = field(default_factory=tuple)

    def __post_init__(self):
        check_choice("sequence", self.sequence, SEQUENCES)
        check_choice("read_axis", self.read_axis, AXES)
        nucleus(self.nucleus)
        check_positive("field", self.field, unit="T")
        matrix = tuple(int(m) if np.ndim(m) == 0 and float(m) == int(m) else m for m in np.atleast_1d(self.matrix))
        if len(matrix) != 3:
            raise InputError(f"matrix: expected three sizes (z, y, x), got {self.matrix!r}")
        fov = tuple(np.atleast_1d(np.asarray(self.fov, dtype=object)).tolist())
        if len(fov) != 3:
            raise InputError(f"fov: expected three extents (z, y, x) in m, got {self.fov!r}")
        if fov[0] is None and matrix[0] != 1:
            raise InputError("fov: only a 2-D protocol (matrix[0] == 1) may leave the slice thickness None")
        voxel_size([f if f is not None else 1.0 for f in fov], matrix)
        te = check_positive("te", self.te, unit="s")
        tr = check_positive("tr", self.tr, unit="s")
        if tr < te:
            raise InputError(f"tr: repetition time must be >= the echo time te = {te!r} s, got {tr!r} s")
        check_range("flip_angle", self.flip_angle, 0, np.pi, inclusive=(False, True), unit="rad")
        if int(self.averages) != self.averages or self.averages < 1:
            raise InputError(f"averages: must be a positive integer, got {self.averages!r}")
        check_positive("read_gradient", self.read_gradient, unit="T/m")
        check_positive("dwell", self.dwell, unit="s")
        if int(self.spectral_points) != self.spectral_points or self.spectral_points < 8:
            raise InputError(f"spectral_points: expected an integer >= 8, got {self.spectral_points!r}")
        if matrix[AXES.index(self.read_axis)] == 1 and self.sequence != "csi":
            raise InputError(f"read_axis: {self.read_axis!r} has a single sample; read along an imaged axis")
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "fov", fov)

    # --- arithmetic --------------------------------------------------------------------------
    @property
    def is_2d(self) -> bool:
        return self.matrix[0] == 1

    @property
    def voxel(self) -> np.ndarray:
        """Voxel edges (dz, dy, dx) in m (dz: slice thickness of a 2-D protocol, inf for a projection)."""
        fov = [np.inf if f is None else f for f in self.fov]
        return np.asarray(fov, float) / np.asarray(self.matrix)

    @property
    def read_index(self) -> int:
        return AXES.index(self.read_axis)

    @property
    def phase_encodes(self) -> int:
        """Phase-encoding steps per image: every sample of every axis but the read axis (CSI: all)."""
        m = list(self.matrix)
        if self.sequence != "csi":
            m.pop(self.read_index)
        return int(np.prod(m))

    @property
    def acquisition_time(self) -> float:
        """TR × phase encodes × averages (s)."""
        return acquisition_time(self.tr, self.phase_encodes, self.averages)

    @property
    def larmor(self) -> float:
        return larmor_frequency(self.nucleus, self.field)

    @property
    def bandwidth(self) -> float:
        """Read bandwidth (Hz) across the read FOV: γ̄ G FOV_read."""
        return nucleus(self.nucleus).gyromagnetic_hz * self.read_gradient * self.fov[self.read_index]

    @property
    def pixel_bandwidth(self) -> float:
        return self.bandwidth / self.matrix[self.read_index]

    def displacement(self, shift_ppm):
        """Read-direction displacement (m) of a species at ``shift_ppm`` (relative to ``receiver_ppm``)."""
        return displacement(np.asarray(shift_ppm, float) - self.receiver_ppm, self.field, self.read_gradient)

    def with_(self, **changes) -> Protocol:
        """A copy with ``changes`` (validated again)."""
        return replace(self, **changes)


def check_covers(protocol: Protocol, extent) -> None:
    """Raise :class:`GeometryError` when the FOV is smaller than an object of ``extent`` (Lz, Ly, Lx)
    m on a phase-encoded axis (it would fold back) or on the read axis."""
    for axis, f, m, e in zip(AXES, protocol.fov, protocol.matrix, extent, strict=True):
        if f is None or (m == 1 and axis == "z"):
            continue
        if e > f * (1 + 1e-9) + f / m:  # the FOV is centred on a voxel: half a voxel of slack either side
            raise GeometryError(f"fov: the {axis} extent {f * 1e3:.3g} mm is smaller than the cell's "
                                f"{e * 1e3:.3g} mm; enlarge the FOV along {axis} to at least that")


def liu2025_gre3d(**changes) -> Protocol:
    """3-D ⁷Li imaging of Liu et al., Nat. Mater. 2025: 11.75 T, FOV 10 × 10 × 3.2 mm
    (z, y, x; the pellet axis x along the 3.2 mm axis), matrix 100 × 100 × 32, 90°, TE 1 ms, TR
    0.25 s, 128 averages. Assumed: a gradient echo (the paper names no sequence; ``sequence="se"``
    gives the spin echo), the read axis y and the Micro2.5 read gradient (1 T/m is its nominal
    maximum; the paper prints no read gradient)."""
    base = Protocol("Liu 2025 3-D", "gre", 11.75, (10e-3, 10e-3, 3.2e-3), (100, 100, 32), tr=0.25, te=1e-3,
                    flip_angle=np.pi / 2, averages=128, read_axis="y", read_gradient=1.0,
                    source="Liu et al., Nat. Mater. 2025, Methods (MRI)",
                    assumptions=("gradient echo", "read axis y", "read gradient 1 T/m (Micro2.5 maximum)"))
    return base.with_(**changes) if changes else base


def liu2025_flash(**changes) -> Protocol:
    """2-D ⁷Li FLASH of Liu et al., Nat. Mater. 2025: 21.1 T, FOV 17 × 11 mm (y, x; the
    pellet axis x along the 11 mm axis), matrix 81 × 52, 30°, TE 0.918 ms, TR 0.3 s, 1024
    averages, 60 G/cm gradients. Assumed: a projection along z (no slice thickness printed), read
    along y at the full 60 G/cm."""
    base = Protocol("Liu 2025 2-D FLASH", "flash", 21.1, (None, 17e-3, 11e-3), (1, 81, 52), tr=0.3,
                    te=0.918e-3, flip_angle=np.deg2rad(30.0), averages=1024, read_axis="y", read_gradient=0.6,
                    source="Liu et al., Nat. Mater. 2025, Methods (MRI)",
                    assumptions=("projection along z", "read along y at 60 G/cm"))
    return base.with_(**changes) if changes else base
