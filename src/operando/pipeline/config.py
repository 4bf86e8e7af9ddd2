"""The validated run configuration.

A run is described by one TOML (or YAML) file. Quantities carry their units as strings
(``"50 nm"``, ``"100 mT"``, ``"23.5 mA/cm^2"``); they are converted to SI floats here, once, and every
error names the key, the value given and what was expected — before any computing starts.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..cell import presets
from ..errors import InputError
from ..units import c_rate, to_si


class ConfigError(InputError):
    """The configuration file or mapping is invalid."""


def _quantity(unit: str):
    def parse(value):
        return to_si(value, unit, strict=True)  # a bare number for a dimensional key is an error

    parse.unit = unit  # read by the sweeps (operando.pipeline.sweep) to name a key's unit
    return BeforeValidator(parse)


Length = Annotated[float, _quantity("m")]
Duration = Annotated[float, _quantity("s")]
Field_T = Annotated[float, _quantity("T")]
CurrentDensity = Annotated[float, _quantity("A/m^2")]
Sensitivity = Annotated[float, _quantity("T/Hz^0.5")]

#: Pollok et al., Nat. Commun. 2025, L137: 1C of the simulated cell is 0.94 mA/cm² (C/10 0.09,
#: 5C 4.70 mA/cm²); a C-rate written in a configuration always means the paper's, in A/m².
PAPER_ONE_C = 9.4


#: valid range of cell.voxel, m: a continuum model needs voxels of many atoms, and the preset's
#: particles need a radius of at least 1.5 voxels
MIN_VOXEL = 1e-9
MAX_VOXEL = presets.pollok2025_spec().particle_radius / 1.5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CellConfig(_Strict):
    """Which cell to build: a named preset at a voxel size, a saved cell file, or a segmented label
    volume (``labels``: a TIFF stack or NumPy file, z first) with its ``label_map`` and ``voxel``.

    An imported volume is charged as it is drawn: its Li metal on the x = 0 face is the grounded
    electrode and its current collector (or, without one, its electronic conductor on the x = Lx
    face) the positive terminal. The preset's options (``nz``, ``dendrite``, ``buried``,
    ``electrolyte``) do not apply to it and are an error; a dendrite is part of the volume (a label
    mapped to ``"dendrite"``), so the steps marked ``dendrite`` charge the same imported cell.
    """

    preset: Literal["pollok2025"] | None = "pollok2025"
    file: Path | None = None
    labels: Path | None = Field(default=None, description="segmented volume (.tif/.tiff/.npy/.npz)")
    label_map: dict[int, str | tuple[str, str]] | None = Field(
        default=None, description="label -> material ('LLZO'), phase ('llzo_gb') or [phase, material]")
    # the preset's own defaults (operando.cell.presets.DEFAULTS), shared with the Python API
    voxel: Length = Field(default=presets.DEFAULTS["voxel"], gt=0, description="voxel edge")
    nz: int = Field(default=presets.DEFAULTS["nz"], ge=1, le=512,
                    description="voxel layers in depth (1 = 2-D slab)")
    dendrite: bool = Field(default=True, description="the steps marked `dendrite` use a cell with a "
                           "Li-metal dendrite in the grain boundaries (false: the same cell without it)")
    buried: bool = True
    electrolyte: Literal["LLZO_cubic", "LLZO"] = Field(
        default=presets.DEFAULTS["electrolyte"],
        description="garnet of the electrolyte: doped cubic (Pollok et al. 2025 Table 1, 1e-4 S/cm) or "
        "tetragonal (Table 1, 1e-6 S/cm: too resistive to carry 23.5 mA/cm² through 8 µm below 4.3 V)",
    )

    @property
    def imported(self) -> bool:
        """True for a segmented label volume (``cell.labels``): not the paper's geometry."""
        return self.labels is not None

    @model_validator(mode="after")
    def _one_source(self):
        if self.file is None and self.preset is None and self.labels is None:
            raise ValueError("give either cell.preset, cell.file or cell.labels")
        if self.labels is None:
            if self.label_map is not None:
                raise ValueError("cell.label_map applies to an imported volume only; give cell.labels too")
            if self.file is not None:  # a saved cell is built from its file, not the preset
                object.__setattr__(self, "preset", None)
            return self
        if self.file is not None:
            raise ValueError("give either cell.file or cell.labels, not both")
        preset_only = sorted({"nz", "dendrite", "buried", "electrolyte"} & self.model_fields_set)
        if preset_only:
            raise ValueError(f"{', '.join('cell.' + k for k in preset_only)} applies to the preset cell only, not "
                             "to an imported volume (its dendrite, if any, is a label mapped to 'dendrite')")
        if "voxel" not in self.model_fields_set:
            raise ValueError("cell.voxel: give the voxel edge of the imported volume with its unit, e.g. '100 nm'")
        if not self.label_map:
            raise ValueError("cell.label_map: give the material of every label, e.g. "
                             "{0 = \"void\", 1 = \"Li\", 2 = \"LLZO\", 3 = \"LiCoO2\"}")
        from ..cell.importer import check_labels

        nz = check_labels(self.labels, self.label_map, what="cell.labels")[0]  # readable, every label mapped
        # the stored configuration describes the volume, not the preset's defaults
        phases = {v if isinstance(v, str) else v[0] for v in self.label_map.values()}
        for key, value in (("preset", None), ("nz", nz), ("dendrite", "dendrite" in phases)):
            object.__setattr__(self, key, value)
        return self

    @field_validator("voxel")
    @classmethod
    def _voxel_in_range(cls, voxel: float, info: ValidationInfo) -> float:
        # below ~1 nm a voxel is smaller than the atoms the continuum model averages over; above
        # 1/1.5 of the preset's particle radius its particles cannot be drawn (cell.particles)
        preset = info.data.get("file") is None and info.data.get("labels") is None
        top = MAX_VOXEL if preset else np.inf
        if not MIN_VOXEL <= voxel <= top * (1 + 1e-9):
            why = (f"to {MAX_VOXEL * 1e9:.0f} nm (the preset's particles are "
                   f"{presets.pollok2025_spec().particle_radius * 1e6:.2g} µm in radius)") if preset else "and up"
            raise ValueError(f"{voxel:.3g} m is outside the valid range {MIN_VOXEL * 1e9:.0f} nm {why}")
        return voxel


class ChargeStep(_Strict):
    """One charge run on the pristine cell, in either of two forms.

    * Galvanostatic: a nominal current density, or a C-rate in the paper's sense (1C =
      0.94 mA/cm², Pollok et al. 2025 L137), for a ``duration`` (the step also ends at the 4.3 V
      cut-off; the report gives how long it ran and why it stopped).
    * Protocol: ``steps``, strings as in PyBaMM's experiments (``"Charge at 1C until 4.3 V"``,
      ``"Rest for 10 minutes"``, ``"Hold at 4.3 V until C/20"``, ``"Discharge at 0.94 mA/cm^2 until
      3.0 V"``), repeated ``cycles`` times, each starting where the last ended
      (:class:`operando.electrochem.Experiment`; C-rates in the paper's sense); ``duration``, if
      given, limits the whole protocol.

    ``output_interval`` sets the saved snapshots: every interval and at every step end (default:
    duration / 4 for the galvanostatic form, the step ends for a protocol). Imaging uses the state
    at the end.
    """

    name: str
    c_rate: Annotated[float | None, BeforeValidator(lambda v: None if v is None else c_rate(v))] = Field(
        default=None, gt=0, le=1000, description="'2C', 'C/10' or a number, in the paper's sense (1C = 0.94 mA/cm²)")
    current_density: CurrentDensity | None = Field(default=None, gt=0)
    duration: Duration | None = Field(default=None, gt=0, description="galvanostatic: how long; protocol: the "
                                      "time limit of the whole protocol (none if not given)")
    steps: list[str] | None = Field(default=None, min_length=1, description="protocol steps, e.g. "
                                    "'Charge at 1C until 4.3 V', 'Rest for 10 minutes', 'Hold at 4.3 V until C/20'")
    cycles: int = Field(default=1, ge=1, le=100_000, description="times the protocol steps are repeated")
    output_interval: Duration | None = Field(default=None, gt=0, description="time between saved snapshots")
    dendrite: bool = False

    @model_validator(mode="after")
    def _one_rate(self):
        if self.steps is None:
            if (self.c_rate is None) == (self.current_density is None):
                raise ValueError("give exactly one of c_rate or current_density (or a protocol: steps = [...])")
            if self.duration is None:
                raise ValueError("duration: required for a galvanostatic step, e.g. duration = \"4 min\"")
            if self.cycles != 1:
                raise ValueError("cycles: applies to a protocol (steps = [...]); a galvanostatic step runs once")
            return self
        given = [k for k in ("c_rate", "current_density") if getattr(self, k) is not None]
        if given:
            raise ValueError(f"{given[0]}: a protocol (steps) sets its currents in its steps; remove {given[0]}")
        self.experiment()  # every step checked now, with the step and its value named
        if self.duration is None:
            object.__setattr__(self, "duration", float("inf"))  # readers compare times against it
        return self

    def experiment(self):
        """The step as an :class:`operando.electrochem.Experiment` (protocol form) or
        :class:`operando.electrochem.Galvanostatic` (galvanostatic form)."""
        from ..electrochem import Experiment, Galvanostatic

        if self.steps is None:
            return Galvanostatic(current_density=self.nominal_current_density, duration=self.duration,
                                 save_every=self.output_interval or self.duration / 4)
        try:
            return Experiment(self.steps, cycles=self.cycles, output_interval=self.output_interval,
                              max_time=self.duration if np.isfinite(self.duration or np.inf) else None,
                              one_c=PAPER_ONE_C)
        except InputError as exc:
            raise ValueError(str(exc)) from None

    @property
    def nominal_current_density(self) -> float:
        """A/m² over the cell's cross-section (a protocol: of its first constant-current step; NaN for
        a current in A, 0 without one)."""
        if self.steps is None:
            return self.current_density if self.current_density is not None else self.c_rate * PAPER_ONE_C
        first = next((s for s in self.experiment().steps if s.kind == "current"), None)
        if first is None:
            return 0.0
        return {"C": first.value * PAPER_ONE_C, "A/m^2": first.value}.get(first.unit, float("nan"))


class ImagingConfig(_Strict):
    """The three imaging modes of Pollok et al. 2025 and the geometry of the measurement. For each
    NV orientation the applied field lies along the NV axis (perpendicular, in-plane, or tilted
    54.7° for a (111) tip), as in the paper (L139)."""

    modes: list[Literal["susceptometry", "oersted", "lithium"]] = Field(
        default=["susceptometry", "oersted", "lithium"], min_length=1,
        description="what is imaged: LixCoO2 in B_ext, the Ørsted field of the currents, Li metal in B_ext")
    B_ext: Field_T = Field(default=0.1, gt=0, le=20)
    nv_orientations: list[Literal["perpendicular", "parallel", "111"]] = Field(
        default=["perpendicular", "parallel", "111"], min_length=1)
    standoff: Length = Field(default=50e-9, gt=0, le=1e-3)
    standoff_sweep: list[Length] = [20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6]
    oersted_step: str = Field(default="25C", description="name of the charge step imaged by its Ørsted field")
    susceptometry_step: str = Field(default="5C", description="name of the step whose state is imaged in B_ext")


#: defaults of the keys that apply to a widefield sensor only (an NV layer imaged on a camera)
WIDEFIELD_DEFAULTS = {"layer_thickness": "1 um", "optical_resolution": "600 nm", "camera_pixel": "500 nm"}


class SensorConfig(_Strict):
    """The NV magnetometer: scanning single NV or widefield ensemble (both at ``imaging.standoff``).

    ``cw_sensitivity`` sets the photon budget of the simulated ODMR spectra: their fitted field
    has noise cw_sensitivity/√integration_time per pixel. ``layer_thickness``,
    ``optical_resolution`` and ``camera_pixel`` apply to ``kind = "widefield"`` only (an error
    for a scanning sensor); they default to 1 µm, 600 nm and 500 nm there.
    """

    kind: Literal["scanning", "widefield"] = "scanning"
    cw_sensitivity: Sensitivity = Field(default=1e-6, gt=0)
    pulsed_sensitivity: Sensitivity = Field(default=50e-9, gt=0)
    integration_time: Duration = Field(default=1.0, gt=0, description="per pixel (widefield: per image)")
    simulate_spectra: bool = True
    layer_thickness: Length | None = Field(default=None, ge=0, le=1e-3,
                                           description="widefield: NV layer thickness from the standoff down")
    optical_resolution: Length | None = Field(default=None, ge=0, le=1e-3,
                                              description="widefield: FWHM of the optical point-spread function")
    camera_pixel: Length | None = Field(default=None, gt=0, le=1e-3,
                                        description="widefield: camera pixel referred to the sample (bins map pixels)")

    @model_validator(mode="before")
    @classmethod
    def _keys_of_kind(cls, data):
        if not isinstance(data, dict):
            return data
        given = [k for k in WIDEFIELD_DEFAULTS if data.get(k) is not None]
        kind = data.get("kind", "scanning")
        if kind == "widefield":
            return {**WIDEFIELD_DEFAULTS, **{k: v for k, v in data.items() if v is not None}}
        if given and kind == "scanning":
            raise ValueError(f"sensor.{given[0]} applies to a widefield sensor only; sensor.kind is "
                             f"{kind!r} (remove {', '.join('sensor.' + k for k in given)} or set kind = \"widefield\")")
        return data


class ReconstructionConfig(_Strict):
    """How the current density is reconstructed from the measured Ørsted map, and the low-pass
    window of the Fourier inversions (current and susceptibility maps)."""

    regularisation: Literal["discrepancy", "lcurve", "none"] = Field(
        default="discrepancy",
        description="current density: Tikhonov with its weight by the discrepancy principle or the L-curve, "
        "or 'none' for the windowed inverse filter")
    window_cutoff: float = Field(
        default=1.0, gt=0, le=100,
        description="cut-off wavelength of the Hann low-pass window of the Fourier inversions, in units of "
        "the standoff")


def _default_steps() -> list[ChargeStep]:
    """The paper's nominal current densities (Pollok et al. 2025 L137, L152), in A/m²."""
    return [
        ChargeStep(name="C/10", current_density="0.09 mA/cm^2", duration="200 min"),
        ChargeStep(name="1C", current_density="0.94 mA/cm^2", duration="20 min"),
        ChargeStep(name="5C", current_density="4.70 mA/cm^2", duration="4 min"),
        ChargeStep(name="25C", current_density="23.5 mA/cm^2", duration="10 s", dendrite=True),
    ]


class RunConfig(_Strict):
    """Everything a run needs. ``RunConfig.from_file(path)`` reads TOML or YAML."""

    seed: int = Field(default=0, ge=0)
    out: Path = Path("operando-out")
    cell: CellConfig = CellConfig()
    charge: list[ChargeStep] = Field(default_factory=_default_steps, min_length=1)
    imaging: ImagingConfig = ImagingConfig()
    sensor: SensorConfig = SensorConfig()
    reconstruction: ReconstructionConfig = ReconstructionConfig()
    claims: Literal["auto", "always"] = Field(
        default="auto",
        description="auto: a paper claim is judged only when this run's conditions are the paper's (else "
        "'not applicable'); always: judge every claim at this run's conditions")

    @model_validator(mode="after")
    def _steps_exist(self):
        names = [s.name for s in self.charge]
        if len(set(names)) != len(names):
            raise ValueError(f"charge step names must be unique, got {names}")
        for key, mode in (("oersted_step", "oersted"), ("susceptometry_step", "susceptometry")):
            step = getattr(self.imaging, key)
            if mode in self.imaging.modes and step not in names:  # a mode not imaged needs no step
                raise ValueError(f"imaging.{key} = {step!r} names no charge step; choose one of {names}")
        return self

    @classmethod
    def from_mapping(cls, data: dict) -> RunConfig:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    @classmethod
    def from_file(cls, path) -> RunConfig:
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"config: {str(path)!r} is a folder; give the configuration file (TOML or YAML)")
        if not path.is_file():
            raise ConfigError(f"config: no such file {str(path)!r}")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config: {str(path)!r} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at "
                              f"position {exc.start}); save it with UTF-8 encoding") from None
        except OSError as exc:
            raise ConfigError(f"config: cannot read {str(path)!r}: {exc.strerror or exc}") from None
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            else:
                data = tomllib.loads(text)
        except Exception as exc:
            raise ConfigError(f"config: cannot parse {str(path)!r}: {exc}") from exc
        return cls.from_mapping(_inputs_beside(data, path.parent))


#: input files a configuration names (read, never written): relative ones are found beside the file
INPUT_PATHS = (("cell", "file"), ("cell", "labels"))


def _inputs_beside(data: dict, folder: Path) -> dict:
    """``data`` with its relative input paths taken relative to ``folder`` (the configuration file's),
    so a run finds them from any working folder. A path that exists only relative to the working
    folder keeps that meaning (as before); ``out`` stays relative to the working folder."""
    for section, key in INPUT_PATHS:
        table = data.get(section)
        value = table.get(key) if isinstance(table, dict) else None
        if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
            continue
        beside = folder / value
        if beside.exists() or not Path(value).exists():
            table[key] = str(beside)
    return data


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "config"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; `operando config --example` lists every key)"
        given = err.get("input")
        shown = "" if isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"{key}: {msg}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


EXAMPLE_CONFIG = """\
# operando run configuration. Quantities are strings with units; every key is optional.
# The defaults are the conditions of Pollok et al., Nat. Commun. 2025 (doi:10.1038/s41467-025-63409-y)
seed = 0                      # random seed: the same seed builds the same cell and noise
out = "operando-out"          # output folder (datasets, figures, report.html)
claims = "auto"               # auto: judge the paper's claims only at the paper's conditions | always

[cell]
preset = "pollok2025"         # the Li|LLZO|LixCoO2 cell of the paper's Fig. 4a (geometry partly assumed)
voxel = "500 nm"              # voxel edge; smaller is finer and slower
nz = 8                        # voxel layers in depth (1 = a 2-D section: seconds, but 1C less homogeneous)
dendrite = true               # the steps marked `dendrite` get a Li-metal dendrite in the grain boundaries
buried = true                 # cap some particles and the dendrite below the surface
electrolyte = "LLZO_cubic"    # LLZO_cubic (doped garnet, 1e-4 S/cm) | LLZO (tetragonal, 1e-6 S/cm)
# file = "my_cell.nc"         # or load a saved cell instead of a preset
# labels = "volume.tif"       # or import a segmented volume (TIFF stack or .npy, z first) ...
# label_map = {0 = "void", 1 = "Li", 2 = "LLZO_cubic", 3 = "LiCoO2"}   # ... every label's material or phase
#                             # (with labels: give voxel; nz, dendrite, buried, electrolyte do not apply;
#                             # relative file and labels paths are found beside this file)

[[charge]]                    # galvanostatic steps, each from the pristine cell
name = "C/10"
current_density = "0.09 mA/cm^2"   # or: c_rate = 0.1 (a C-rate in the paper's sense: 1C = 0.94 mA/cm^2)
duration = "200 min"          # the same charge as 5C for 4 min, to compare homogeneity

[[charge]]
name = "1C"
current_density = "0.94 mA/cm^2"
duration = "20 min"

[[charge]]
name = "5C"
current_density = "4.70 mA/cm^2"
duration = "4 min"

[[charge]]
name = "25C"
current_density = "23.5 mA/cm^2"
duration = "10 s"
dendrite = true               # this step uses the cell with the dendrite
# output_interval = "2.5 s"   # snapshots saved every interval and at the end (default: duration / 4)

# [[charge]]                  # or a protocol: steps as in PyBaMM, each from where the last ended
# name = "cycle"
# steps = ["Charge at 1C until 4.3 V", "Rest for 10 minutes", "Hold at 4.3 V until C/20",
#          "Discharge at 0.94 mA/cm^2 until 3.0 V"]   # also "for 30 min", "until 1 mAh/cm^2"
# cycles = 2                  # the steps repeated; C-rates in the paper's sense (1C = 0.94 mA/cm^2)
# output_interval = "5 min"   # snapshots every 5 min and at every step end (default: step ends)
# duration = "10 h"           # optional time limit of the whole protocol

[imaging]
modes = ["susceptometry", "oersted", "lithium"]   # LixCoO2 in B_ext | Ørsted field | Li metal in B_ext
B_ext = "100 mT"              # applied field, along each NV axis in turn
nv_orientations = ["perpendicular", "parallel", "111"]
standoff = "50 nm"            # NV-to-surface distance
standoff_sweep = ["20 nm", "50 nm", "100 nm", "200 nm", "500 nm", "1 um"]
oersted_step = "25C"          # charge step whose currents are imaged
susceptometry_step = "5C"     # charge step whose state of charge is imaged

[sensor]
kind = "scanning"             # scanning | widefield
cw_sensitivity = "1 uT/Hz^0.5"  # sets the photon budget of the simulated ODMR spectra
pulsed_sensitivity = "50 nT/Hz^0.5"
integration_time = "1 s"      # per pixel
simulate_spectra = true       # simulate and fit ODMR spectra (else a noisy field map)
# widefield only (an error with kind = "scanning"):
# layer_thickness = "1 um"    # NV layer, from the standoff down
# optical_resolution = "600 nm"   # FWHM of the optical point-spread function
# camera_pixel = "500 nm"     # camera pixel on the sample (bins the map pixels)

[reconstruction]
regularisation = "discrepancy"   # current density: Tikhonov (discrepancy | lcurve) or none (inverse filter)
window_cutoff = 1.0              # Hann window cut-off wavelength, in units of the standoff
"""
