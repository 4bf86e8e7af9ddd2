"""Named cells. :func:`pollok2025` is the cross-section simulated in seed 000 Fig. 4a."""

from __future__ import annotations

from .build import CellSpec, build_cell
from .cell import Cell


def pollok2025_spec(
    voxel: float = 150e-9,
    nz: int = 1,
    seed: int = 0,
    dendrite: bool = True,
    buried: bool = True,
    **overrides,
) -> CellSpec:
    """The :class:`CellSpec` behind :func:`pollok2025` (see there)."""
    params = dict(
        width=15e-6,
        li_thickness=2e-6,
        electrolyte_thickness=8e-6,
        cathode_thickness=10e-6,
        collector_thickness=0.6e-6,
        voxel=voxel,
        nz=nz,
        grain_size=2.5e-6,
        gb_thickness=50e-9,
        volume_fraction=0.5,
        particle_radius=1.2e-6,
        particle_radius_cv=0.3,
        contact_overlap=0.08,
        dendrite_fraction=0.6 if dendrite else None,
        dendrite_width=0.3e-6,
        dendrite_branches=2 if dendrite else 0,
        n_inclusions=3,
        inclusion_radius=0.2e-6,
        void_fraction=0.005,
        void_radius=0.25e-6,
        cap_thickness=0.3e-6 if buried else 0.0,
        buried_particles=2 if buried else 0,
        bury_dendrite=bool(buried and dendrite),
        x_init=0.99,
        seed=seed,
    )
    params.update(overrides)
    return CellSpec(**params)


def pollok2025(
    voxel: float = 150e-9,
    nz: int = 1,
    seed: int = 0,
    dendrite: bool = True,
    buried: bool = True,
    **overrides,
) -> Cell:
    """Li | LLZO | LixCoO2 cross-section of seed 000 Fig. 4a (L132-L160).

    Li metal negative electrode (2 µm) | polycrystalline LLZO separator (8 µm, grains ~2.5 µm)
    with a Li-metal dendrite grown along the grain boundaries to 60 % of the separator (two side
    branches, 0.3 µm wide; in 3-D a sheet filling one boundary over the upper half of the depth),
    three isolated Li inclusions and 0.5 % voids | composite positive
    electrode (10 µm) of LixCoO2 particles (mean radius 1.2 µm, 30 % spread, 50 % by volume,
    touching at finite contacts, no carbon, LLZO filling the gaps; seed 000 L137) | Au current
    collector (0.6 µm); 15 µm wide along y. Total 20.6 x 15 µm: with the default 150 nm voxels
    that is 137 x 100 voxels, coarse enough for a 2-D electrochemical simulation in seconds;
    ``voxel=`` gives finer versions, ``nz > 1`` a 3-D cell of depth ``nz * voxel``.

    Why these sizes: the figure shows a few-µm-particle composite and a separator a few grains
    thick, as in the X-ray tomography and SEM studies it is inspired by (seed 000 refs. 81-82);
    particles of a few µm and LLZO grains of a few µm are typical of sintered garnet composites.

    Buried features (seed 000 L139, L144): the two particles nearest the low-y/high-x corner (the
    "lower right" particle of Fig. 4a) and the dendrite lie 300 nm ("several hundreds of
    nanometres") below the surface. In 3-D a capping layer of LLZO (phase "cap") covers them; in a
    2-D cell they are listed in ``cell.attrs`` and :meth:`Cell.burial_depth` gives the depth.

    ``x_init = 0.99``: the cell starts fully lithiated (the OCP fit diverges at exactly x = 1).

    C-rate: over Δx = 0.5 this electrode stores ~0.34 mA·h/cm², so 1 C ≈ 0.34 mA/cm²
    (``metrics.c_rate_current_density``); seed 000 L137 quotes 0.94 mA/cm² at 1 C for its
    electrode (more LixCoO2 per area), so reproduce Fig. 4a by current density (23.5 mA/cm²,
    L152) rather than by C-rate.
    Keyword ``overrides`` replace any :class:`CellSpec` field.
    """
    return build_cell(pollok2025_spec(voxel, nz, seed, dendrite, buried, **overrides))
