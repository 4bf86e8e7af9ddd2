"""Build a Li | LLZO | LixCoO2 cell from physical sizes and a voxel size.

Layout along x (DESIGN.md): Li metal ``[0, li_thickness)`` | LLZO separator | composite positive
electrode (LixCoO2 particles in polycrystalline LLZO) | optional current collector. The LLZO of
the separator and of the composite is one Voronoi polycrystal with grain boundaries; defects are
added on top: voids, a Li dendrite along the grain boundaries, isolated Li inclusions, and a
capping layer burying chosen particles and the dendrite (3-D cells).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .._checks import check_positive, check_range
from ..errors import GeometryError, InputError
from ..grid import Grid
from .cell import DEFAULT_MATERIALS, LABEL, PHASES, Cell
from .defects import (
    cap_footprint,
    cap_layers,
    check_dendrite_length,
    grow_dendrite,
    random_spheres,
)
from .grains import voronoi_grains
from .particles import pack_particles


@dataclass
class CellSpec:
    """Parameters of :func:`build_cell` (lengths in m).

    A 2-D cross-section has ``nz = 1`` (one voxel of ``voxel`` deep); a 3-D cell has ``nz > 1``.
    ``dendrite_length`` (m) or ``dendrite_fraction`` (of the separator thickness) sets the
    penetration; both None means no dendrite. ``buried_particles`` is a count (the particles
    nearest the low-y / high-x corner, the "lower right" of Pollok et al., Nat. Commun. 2025, Fig. 4a) or a list of ids.
    """

    width: float = 15e-6  # lateral size along y
    li_thickness: float = 2e-6
    electrolyte_thickness: float = 8e-6
    cathode_thickness: float = 10e-6
    collector_thickness: float = 0.0
    voxel: float = 150e-9
    nz: int = 1
    grain_size: float = 2.5e-6
    gb_thickness: float = 50e-9
    volume_fraction: float = 0.5
    particle_radius: float = 1.5e-6
    particle_radius_cv: float = 0.25
    contact_overlap: float = 0.08
    dendrite_length: float | None = None
    dendrite_fraction: float | None = None
    dendrite_width: float = 0.0
    dendrite_branches: int = 0
    dendrite_y: float | None = None
    n_inclusions: int = 0
    inclusion_radius: float = 200e-9
    void_fraction: float = 0.0
    void_radius: float = 250e-9
    cap_thickness: float = 0.0
    buried_particles: int | list[int] = 0
    bury_dendrite: bool = False
    x_init: float = 0.99
    seed: int = 0
    material_of: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for name in (
            "width",
            "li_thickness",
            "electrolyte_thickness",
            "cathode_thickness",
            "voxel",
            "grain_size",
            "particle_radius",
        ):
            check_positive(name, getattr(self, name), unit="m")
        for name in ("collector_thickness", "gb_thickness", "dendrite_width", "cap_thickness"):
            check_positive(name, getattr(self, name), allow_zero=True, unit="m")
        if int(self.nz) != self.nz or self.nz < 1:
            raise InputError(
                f"nz: expected a positive integer number of voxel layers, got {self.nz!r}"
            )
        check_range("void_fraction", self.void_fraction, 0.0, 0.3)
        check_range("x_init", self.x_init, 0.0, 1.0)
        if self.dendrite_length is not None and self.dendrite_fraction is not None:
            raise InputError("dendrite_length, dendrite_fraction: give one of them, not both")
        if self.dendrite_fraction is not None:
            check_range(
                "dendrite_fraction", self.dendrite_fraction, 0.0, 1.0, inclusive=(False, True)
            )
        if self.dendrite_length is not None:
            check_dendrite_length(self.dendrite_length, self.electrolyte_thickness)
        unknown = set(self.material_of) - set(PHASES)
        if unknown:
            raise InputError(f"material_of: unknown phases {sorted(unknown)}; phases are {PHASES}")

    @property
    def dendrite_penetration(self) -> float | None:
        if self.dendrite_fraction is not None:
            return self.dendrite_fraction * self.electrolyte_thickness
        return self.dendrite_length


def build_cell(spec: CellSpec | None = None, **kwargs) -> Cell:
    """Generate a cell from a :class:`CellSpec` (or its fields as keyword arguments)."""
    spec = CellSpec(**kwargs) if spec is None else spec
    rng = np.random.default_rng(spec.seed)
    x_sep = spec.li_thickness
    x_cat = x_sep + spec.electrolyte_thickness
    x_cc = x_cat + spec.cathode_thickness
    length = x_cc + spec.collector_thickness
    grid = Grid.from_size((spec.nz * spec.voxel, spec.width, length), spec.voxel)
    grid = Grid((int(spec.nz), grid.ny, grid.nx), spec.voxel)
    x = grid.x
    i_sep, i_cat, i_cc = (int(np.searchsorted(x, v)) for v in (x_sep, x_cat, x_cc))
    if min(i_sep, i_cat - i_sep, i_cc - i_cat) < 1:
        raise GeometryError(
            f"voxel: {spec.voxel:.3g} m is too coarse to resolve every layer of the cell"
        )
    labels = np.full(grid.shape, LABEL["llzo"], np.int8)
    labels[..., :i_sep] = LABEL["li_metal"]
    labels[..., i_cc:] = LABEL["collector"]
    attrs: dict = {
        "spec": {k: v for k, v in asdict(spec).items()},
        "seed": spec.seed,
        "x_separator": [x_sep, x_cat],
        "x_composite": [x_cat, x_cc],
        "x_collector": [x_cc, length] if i_cc < grid.nx else None,
    }

    # polycrystalline LLZO over separator + composite
    box = (slice(0, grid.nz), slice(0, grid.ny), slice(i_sep, i_cc))
    grain_box, gb_box, ginfo = voronoi_grains(grid, box, spec.grain_size, spec.gb_thickness, rng)
    grain_id = np.full(grid.shape, -1, np.int32)
    grain_id[box] = grain_box
    labels[box] = np.where(gb_box, LABEL["llzo_gb"], LABEL["llzo"])
    attrs.update(ginfo)

    # LixCoO2 particles in the composite
    cbox = (slice(0, grid.nz), slice(0, grid.ny), slice(i_cat, i_cc))
    pid_box, centres, radii = pack_particles(
        grid,
        cbox,
        spec.volume_fraction,
        spec.particle_radius,
        rng,
        radius_cv=spec.particle_radius_cv,
        contact_overlap=spec.contact_overlap,
        anchor="high_x" if i_cc < grid.nx else "none",
    )
    particle_id = np.full(grid.shape, -1, np.int32)
    particle_id[cbox] = pid_box
    labels[particle_id >= 0] = LABEL["lco"]
    attrs.update(
        particle_centres=centres,
        particle_radii=radii,
        volume_fraction_target=spec.volume_fraction,
        volume_fraction_achieved=float((pid_box >= 0).mean()),
    )

    # voids in the LLZO (separator and composite filler)
    if spec.void_fraction > 0:
        llzo = np.isin(labels, [LABEL["llzo"], LABEL["llzo_gb"]])
        voids = random_spheres(grid, llzo, None, spec.void_radius, rng, fraction=spec.void_fraction)
        labels[voids] = LABEL["void"]

    # dendrite along the grain boundaries of the separator
    pen = spec.dendrite_penetration
    if pen is not None:
        gb_sep = labels == LABEL["llzo_gb"]
        gb_sep[..., i_cat:] = False
        dend, dinfo = grow_dendrite(
            grid,
            gb_sep,
            x_sep,
            pen,
            spec.electrolyte_thickness,
            rng,
            y_start=spec.dendrite_y,
            width=spec.dendrite_width,
            branches=spec.dendrite_branches,
            layers=_dendrite_layers(spec, grid),
        )
        labels[dend] = LABEL["dendrite"]
        attrs["dendrite"] = dinfo

    # isolated Li inclusions in the separator LLZO, clear of the Li metal and the dendrite
    if spec.n_inclusions > 0:
        allowed = labels == LABEL["llzo_gb"]
        allowed[..., i_cat:] = False
        away = np.isin(labels, [LABEL["li_metal"], LABEL["dendrite"], LABEL["lco"]])
        inc = random_spheres(
            grid,
            allowed | (labels == LABEL["llzo"]) & _cols(grid, i_sep, i_cat),
            spec.n_inclusions,
            spec.inclusion_radius,
            rng,
            keep_away=away,
            clearance=2 * spec.voxel,
        )
        inc &= ~away
        labels[inc] = LABEL["inclusion"]

    # buried features and the capping layer
    buried = _choose_buried(spec.buried_particles, centres, grid)
    attrs.update(
        buried_particles=buried,
        dendrite_buried=bool(spec.bury_dendrite and pen is not None),
        cap_thickness=spec.cap_thickness,
    )
    if grid.nz > 1 and spec.cap_thickness > 0 and (buried or attrs["dendrite_buried"]):
        n_cap = cap_layers(grid, spec.cap_thickness)
        feat = np.isin(particle_id, buried)
        if attrs["dendrite_buried"]:
            feat |= labels == LABEL["dendrite"]
        foot = cap_footprint(feat, grid, margin=spec.voxel)
        top = labels[-n_cap:]
        top[:, foot] = LABEL["cap"]
        attrs["cap_layers"] = n_cap
    particle_id[labels != LABEL["lco"]] = -1
    grain_id[labels != LABEL["llzo"]] = -1
    mat = dict(DEFAULT_MATERIALS)
    mat.update(spec.material_of)
    return Cell(
        grid, labels, dict(enumerate(PHASES)), mat, particle_id, grain_id, spec.x_init, attrs
    )


def _dendrite_layers(spec: CellSpec, grid: Grid) -> tuple[int, int]:
    """z layers of a 3-D dendrite: the upper half of the depth, below the cap when it is buried."""
    top = grid.nz
    if spec.bury_dendrite and spec.cap_thickness > 0 and grid.nz > 1:
        top -= cap_layers(grid, spec.cap_thickness)
    return max(0, top - max(3, (grid.nz + 1) // 2)), top


def _cols(grid: Grid, i0: int, i1: int) -> np.ndarray:
    out = np.zeros(grid.shape, bool)
    out[..., i0:i1] = True
    return out


def _choose_buried(buried, centres: np.ndarray, grid: Grid) -> list[int]:
    n = len(centres)
    if isinstance(buried, int | np.integer):
        if buried < 0:
            raise InputError(
                f"buried_particles: expected a count >= 0 or a list of ids, got {buried!r}"
            )
        if buried == 0 or n == 0:
            return []
        corner = np.array([grid.x[-1], grid.y[0]])
        order = np.argsort(np.linalg.norm(centres[:, :2] - corner, axis=1))
        return sorted(int(i) for i in order[: min(buried, n)])
    ids = [int(i) for i in buried]
    bad = [i for i in ids if not 0 <= i < n]
    if bad:
        raise InputError(
            f"buried_particles: ids {bad} out of range; the cell has particles 0..{n - 1}"
        )
    return sorted(ids)
