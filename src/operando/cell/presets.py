"""Named cells. :func:`pollok2025` is the cell simulated in Pollok et al., Nat. Commun. 2025, Fig. 4a."""

from __future__ import annotations

from .build import CellSpec, build_cell
from .cell import Cell

#: Defaults shared by :func:`pollok2025` and the run configuration (``[cell]``): a volume 8 layers
#: of 500 nm deep, with the doped cubic garnet that can carry the paper's 23.5 mA/cm².
DEFAULTS = {"voxel": 500e-9, "nz": 8, "electrolyte": "LLZO_cubic"}

#: Loading of LixCoO2 per electrode area that makes 1C = 0.94 mA/cm² (Pollok et al. 2025)
#: over Δx = 0.5: 9.4 A/m² × 3600 s / (F · 51 630 mol/m³ · 0.5) = 13.6 µm of dense LixCoO2, i.e.
#: a 27.5 µm composite at 50 vol % (the paper gives the current densities, not the thickness).
CATHODE_THICKNESS = 27.5e-6


def _garnet(electrolyte: str) -> dict[str, str]:
    """Materials of the garnet phases (grains, boundaries, cap) for electrolyte ``LLZO``/``LLZO_cubic``."""
    return {"llzo": electrolyte, "llzo_gb": f"{electrolyte}_GB", "cap": electrolyte}


def pollok2025_spec(
    voxel: float = DEFAULTS["voxel"],
    nz: int = DEFAULTS["nz"],
    seed: int = 0,
    dendrite: bool = True,
    buried: bool = True,
    electrolyte: str = DEFAULTS["electrolyte"],
    **overrides,
) -> CellSpec:
    """The :class:`CellSpec` behind :func:`pollok2025` (see there)."""
    params = dict(
        width=15e-6,
        li_thickness=2e-6,
        electrolyte_thickness=8e-6,
        cathode_thickness=CATHODE_THICKNESS,
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
        material_of=_garnet(electrolyte),
    )
    params.update(overrides)
    return CellSpec(**params)


def pollok2025(
    voxel: float = DEFAULTS["voxel"],
    nz: int = DEFAULTS["nz"],
    seed: int = 0,
    dendrite: bool = True,
    buried: bool = True,
    electrolyte: str = DEFAULTS["electrolyte"],
    **overrides,
) -> Cell:
    """Li | LLZO | LixCoO2 cell of Pollok et al., Nat. Commun. 2025, Fig. 4a.

    What comes from the paper: the phases (Li metal, polycrystalline LLZO with grain boundaries and a
    grain-boundary dendrite, LixCoO2 particles touching at finite contacts with LLZO in the gaps and no
    carbon), buried particles and dendrite, the materials (Table 1) and the current
    densities. What is assumed (the paper's Supplementary S2-S3 geometry is not in it):
    every size below, chosen as typical of the tomography and SEM studies it cites (refs. 81-82), and
    the cathode thickness, chosen so that this loading makes 1C = 0.94 mA/cm² (:data:`CATHODE_THICKNESS`).

    Li metal negative electrode (2 µm) | polycrystalline LLZO separator (8 µm, grains ~2.5 µm)
    with a Li-metal dendrite grown along the grain boundaries to 60 % of the separator (two side
    branches, 0.3 µm wide; in 3-D a sheet filling one boundary over the upper half of the depth),
    three isolated Li inclusions and 0.5 % voids | composite positive
    electrode (10 µm) of LixCoO2 particles (mean radius 1.2 µm, 30 % spread, 50 % by volume,
    touching at finite contacts, no carbon, LLZO filling the gaps) 27.5 µm | Au current
    collector (0.6 µm); 15 µm wide along y. Total 38.1 x 15 µm, ``nz * voxel`` deep (default
    8 × 500 nm = 4 µm: 8 x 30 x 77 voxels); ``nz=1`` gives a 2-D section (seconds to charge, but it
    walls off the electrolyte between touching particles). ``electrolyte``: ``"LLZO_cubic"`` (doped
    cubic garnet, 1e-4 S/cm) or ``"LLZO"`` (tetragonal, 1e-6 S/cm: too resistive for 23.5 mA/cm²).

    Why these sizes: the figure shows a few-µm-particle composite and a separator a few grains
    thick, as in the X-ray tomography and SEM studies it is inspired by (Pollok et al., Nat. Commun. 2025, refs. 81-82);
    particles of a few µm and LLZO grains of a few µm are typical of sintered garnet composites.

    Buried features (Pollok et al., Nat. Commun. 2025): the two particles nearest the low-y/high-x corner (the
    "lower right" particle of Fig. 4a) and the dendrite lie 300 nm ("several hundreds of
    nanometres") below the surface. In 3-D a capping layer of LLZO (phase "cap") covers them; in a
    2-D cell they are listed in ``cell.attrs`` and :meth:`Cell.burial_depth` gives the depth.

    ``x_init = 0.99``: the cell starts fully lithiated (the OCP fit diverges at exactly x = 1).

    C-rate: over Δx = 0.5 this electrode stores ~0.94 mA·h/cm², so 1C ≈ 0.94 mA/cm² as in the paper
    (``metrics.c_rate_current_density`` gives the voxelized cell's own value).
    Keyword ``overrides`` replace any :class:`CellSpec` field.
    """
    return build_cell(pollok2025_spec(voxel, nz, seed, dendrite, buried, electrolyte, **overrides))
