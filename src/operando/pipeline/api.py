"""``operando.run``: a whole run from Python, with the same stages, cache and resume as ``operando run``.

>>> import operando
>>> run = operando.run({"out": "my-run", "cell": {"nz": 1}})     # or a RunConfig, or a TOML/YAML path
>>> run.claims[0].verdict, run.datasets["fields"]["B_lco"]
>>> run.figures()["fig4a"].savefig("fig4a.png")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from .config import RunConfig
from .run import RunResult, run_experiment
from .stages import cell_from_dataset


@dataclass
class Run:
    """A finished run: its configuration, datasets (one per stage, by name), claims, warnings and report."""

    config: RunConfig
    result: RunResult

    @property
    def datasets(self) -> dict[str, xr.Dataset]:
        return self.result.datasets

    @property
    def claims(self) -> list:
        return self.result.claims

    @property
    def warnings(self) -> list[str]:
        return self.result.warnings

    @property
    def report_path(self) -> Path | None:
        return self.result.report

    @property
    def folder(self) -> Path:
        return self.result.folder

    def cells(self) -> dict:
        """The cells of the run by variant ("pristine", "dendrite"), as :class:`operando.cell.Cell`."""
        cells = {k.removeprefix("cell_"): cell_from_dataset(ds) for k, ds in self.datasets.items()
                 if k.startswith("cell_")}
        if self.config.cell.imported:  # one cell serves both variants
            cells["dendrite"] = cells["pristine"]
        return cells

    def charges(self) -> dict[str, xr.Dataset]:
        """The charge datasets by step name."""
        return {ds.attrs["step_name"]: ds for k, ds in self.datasets.items() if k.startswith("charge_")}

    def figures(self) -> dict:
        """The report's standard figures as matplotlib Figures: ``fig4a`` (state of charge, paramagnetic
        and Ørsted fields), ``fig4b`` (signal vs field and current), ``fig4c`` (vs standoff), and the
        reconstructions (``current``, ``state_of_charge``) where they were imaged."""
        from . import reporting as R

        cfg, cells, charges, ds = self.config, self.cells(), self.charges(), self.datasets
        out = {"fig4a": R.fig4a(cfg, cells, charges, ds["fields"])[0][1]}
        for name, figs in (("fig4b", R.fig4b(cfg, ds["fields"], ds.get("oersted_sweep"))),
                           ("fig4c", R.fig4c(ds["fields"]))):
            if figs:
                out[name] = figs[0][1]
        rec = R.fig_reconstruction(cells, ds["reconstruction"])
        for caption, fig in rec:
            out["current" if caption.startswith("Current") else "state_of_charge"] = fig
        return out


def run(config, *, progress: bool | None = None, report: bool = True) -> Run:
    """Run (or resume) the experiment of ``config``: a :class:`RunConfig`, a mapping as in a TOML file
    (quantities as strings with units), or the path of a TOML/YAML file."""
    if isinstance(config, RunConfig):
        cfg = config
    elif isinstance(config, dict):
        cfg = RunConfig.from_mapping(config)
    else:
        cfg = RunConfig.from_file(config)
    return Run(cfg, run_experiment(cfg, progress=progress, report=report))
