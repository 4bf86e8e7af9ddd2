"""The ``operando`` command line.

Each sub-command parses units and paths, then calls one library function; no physics lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._version import __version__

app = typer.Typer(
    name="operando",
    help="Operando imaging of solid-state batteries: simulate, measure, fit and reconstruct.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool):
    if value:
        typer.echo(f"operando {__version__}")
        raise typer.Exit()


def configure_logging(level: int) -> None:
    """Messages of operando's loggers on stderr as ``[operando] …`` (stage starts, ends, durations at
    INFO), also when the output is not a terminal (a run piped to a file says what it is doing)."""
    import logging

    logger = logging.getLogger("operando")
    for h in [h for h in logger.handlers if getattr(h, "_operando_cli", False)]:
        logger.removeHandler(h)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[operando] %(message)s"))
    handler._operando_cli = True
    logger.addHandler(handler)
    logger.setLevel(level)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also debugging messages.")] = False,
):
    """Operando imaging of solid-state batteries."""
    import logging

    configure_logging(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def _report(result, imported: bool = False) -> None:
    """Print the warnings, the claim table (one line for an imported cell, where none applies) and
    where the results are."""
    from .papers import POLLOK2025
    from .report import verdict_summary

    if imported and result.claims:  # the report keeps the table, each claim with its reason
        typer.echo(f"claims of {POLLOK2025.short} are not applicable to an imported cell: its geometry is not "
                   "the paper's")
    elif result.claims:
        typer.echo(f"Claims of {POLLOK2025.short}:")
    for c in result.claims if not imported else ():
        typer.echo(f"  {c.id:>4} {c.verdict:<15} {c.ours}")
    total = sum(result.timings.values())
    summary = verdict_summary(result.claims) if result.claims else "no claims judged"
    typer.echo(f"{summary}; stages computed: {', '.join(result.computed) or 'none (all cached)'}; {total:.1f} s")
    typer.echo(f"report: {result.report}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("operando-out"),
    full: Annotated[bool, typer.Option("--full", help="High-resolution version (slow).")] = False,
    volume: Annotated[
        bool, typer.Option("--3d", help="The cell in depth, 8 layers of 500 nm (about 1 min on two "
                           "cores; with --full 16 layers of 250 nm, about 4 min), instead of its 2-D section (35 s).")
    ] = False,
    experiment: Annotated[
        str, typer.Option(help="pollok2025 (NV magnetometry, Pollok et al. 2025), huang2025 (X-ray Compton "
                          "imaging, Huang et al. 2025) or liu2025 (7Li NMR and MRI, Liu et al. 2025).")
    ] = "pollok2025",
):
    """Run a paper's experiment end to end and write figures, datasets and a report to OUT."""
    from .pipeline.demo import EXPERIMENTS, demo_config, run_instrument_experiment

    if experiment not in EXPERIMENTS:
        from .errors import InputError

        raise InputError(f"--experiment: unknown {experiment!r}; choose one of {', '.join(EXPERIMENTS)}")
    if experiment == "pollok2025":
        _run_and_report(demo_config(out, full=full, volume=volume))
        return
    from .report import verdict_summary

    path, claims = run_instrument_experiment(experiment, out)
    for c in claims:
        typer.echo(f"  {c.id:>4} {c.verdict:<15} {c.ours}")
    typer.echo(f"{verdict_summary(claims)}\nreport: {path}")


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="TOML or YAML run configuration.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (overrides config).")] = None,
):
    """Run the whole experiment described by CONFIG (resumes where a previous run stopped)."""
    from .pipeline.config import RunConfig

    cfg = RunConfig.from_file(config)
    if out is not None:
        cfg = cfg.model_copy(update={"out": out})
    _run_and_report(cfg)


def _run_and_report(cfg) -> None:
    """Run ``cfg``; an error of the operating system (a file it could not write) or an allocation
    that failed despite the memory estimate becomes an OperandoError, which ``main`` prints without a
    traceback."""
    from .errors import OperandoError, ResourceError
    from .io import write_error
    from .pipeline.run import run_experiment

    try:
        result = run_experiment(cfg)
    except KeyboardInterrupt:
        typer.secho(f"interrupted: the finished stages are kept in {cfg.out}; run the same command again to "
                    "resume (a charge step resumes from its last checkpoint)", fg=typer.colors.YELLOW, err=True)
        raise SystemExit(130) from None
    except OperandoError:
        raise
    except OSError as exc:
        raise write_error(exc.filename or cfg.out, exc, "out") from exc
    except MemoryError as exc:
        raise ResourceError(f"cell: the run ran out of memory ({exc}); choose a coarser cell.voxel or fewer "
                            "cell.nz layers (finished stages are kept: a rerun resumes)") from exc
    _report(result, imported=cfg.cell.imported)


@app.command("config")
def config_cmd(
    example: Annotated[bool, typer.Option("--example", help="Print a commented example configuration.")] = False,
    check: Annotated[Path | None, typer.Option("--check", help="Validate a configuration file.")] = None,
):
    """Print an example configuration, or validate one."""
    from .pipeline.config import EXAMPLE_CONFIG, RunConfig

    if check is not None:
        RunConfig.from_file(check)
        typer.echo(f"{check}: valid")
    elif example:
        typer.echo(EXAMPLE_CONFIG, nl=False)
    else:
        typer.echo("use --example to print a commented configuration, or --check FILE to validate one")


@app.command()
def sweep(
    config: Annotated[Path, typer.Argument(help="TOML or YAML run configuration (the sweep's base).")],
    over: Annotated[list[str], typer.Option("--over", help="KEY=LIST: a configuration key and its values, "
                                            "e.g. 'imaging.standoff=[30 nm, 50 nm]' (repeat for a grid).")],
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="dask scheduler address (tcp://host:port) "
                                                  "or scheduler file (.json); default: a local cluster.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Workers of the local cluster.")] = 2,
    processes: Annotated[bool, typer.Option("--processes/--threads", help="Local workers as processes or as "
                                            "threads of this process.")] = True,
    retries: Annotated[int, typer.Option("--retries", help="Times a failed point is tried again.")] = 1,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Sweep folder (default: the config's out).")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write each point's report.html.")] = False,
):
    """Run CONFIG at every point of the grid of --over values on dask.distributed; one run folder per
    point and the tidy results in OUT/sweep.nc (a stopped sweep resumes where it stopped)."""
    from .pipeline.sweep import parse_overs
    from .pipeline.sweep import sweep as run_sweep

    grid = parse_overs(over)
    try:
        ds = run_sweep(config, grid, out=out, scheduler=scheduler, n_workers=workers, retries=retries, report=report,
                       processes=processes)
    except KeyboardInterrupt:
        typer.secho("interrupted: finished points and stages are kept; run the same command again to resume",
                    fg=typer.colors.YELLOW, err=True)
        raise SystemExit(130) from None
    ran = ds["stages_computed"].values >= 0
    typer.echo(f"{ds.attrs['points']} points, {ds.attrs['failed']} failed; stages computed "
               f"{int(ds['stages_computed'].values[ran].sum())}, taken from another point "
               f"{int(ds['stages_shared'].values[ran].sum())}; results: {ds.encoding.get('source') or ''}".rstrip())
    if ds.attrs["failed"]:
        raise SystemExit(1)


# --- sub-commands contributed by the stages (keep each one a thin wrapper) ---------------------


@app.command()
def plan(
    signal: Annotated[
        list[str] | None, typer.Option(help="Field, e.g. '10 uT' (repeatable); default: the signals of "
                                            "Pollok et al., Nat. Commun. 2025.")
    ] = None,
    target_snr: Annotated[float, typer.Option(help="Signal-to-noise ratio to reach.")] = 1.0,
    pixels: Annotated[int, typer.Option(help="Pixels per image for scanning probes.")] = 100 * 100,
    feature_size: Annotated[str, typer.Option(help="Pattern period (sets the decay).")] = "1 um",
    plots: Annotated[Path | None, typer.Option(help="Folder for the figures (PNG).")] = None,
):
    """Is a signal visible with NV, SQUID or atomic magnetometers, and how long to integrate?"""
    from .nv import feasibility
    from .units import to_si

    signals = None if not signal else {s: to_si(s, "T", name="signal") for s in signal}
    size = to_si(feature_size, "m", name="feature_size")
    typer.echo(feasibility.plan_report(signals, target_snr, n_pixels=pixels, feature_size=size))
    if plots is not None:
        from .nv import feasibility_plots

        for path in feasibility_plots.save_all(plots, signals, target_snr, pixels, size):
            typer.echo(f"wrote {path}")


@app.command()
def fit(
    data: Annotated[
        Path, typer.Argument(help="ODMR stack (.npz, .h5, .nc, .zarr, .tif, .mat, .txt).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Result file (.nc or .zarr).")],
    model: Annotated[
        str, typer.Option(help="auto (single Lorentzian lines, 14N triplets or 15N doublets, chosen "
                          "by BIC on a sample of pixels), lorentzian, gaussian or nv (8-line Hamiltonian fit).")
    ] = "auto",
    n_dips: Annotated[int | None, typer.Option(help="Number of dips (lorentzian/gaussian; over all sweeps); "
                                               "default: the file's n_dips, else the count the data favour.")] = None,
    hyperfine: Annotated[
        str | None, typer.Option(help="14N or 15N hyperfine multiplets.")
    ] = None,
    binning: Annotated[int, typer.Option("--bin", "--binning", help="Pixel binning factor.")] = 1,
    frequency: Annotated[
        Path | None, typer.Option(help="Text file of frequencies if DATA has none (unit: --frequency-unit).")
    ] = None,
    frequency_unit: Annotated[
        str | None, typer.Option(help="Unit of the frequency axis: Hz, kHz, MHz or GHz (default: the "
                                 "unit stored in the file, else Hz).")
    ] = None,
    chunks: Annotated[
        int | None, typer.Option(help="Fit out of core, tile by tile (pixels per side, >= 1): each tile's "
                                 "results are written as it finishes, a killed fit resumes from them.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address.")
    ] = None,
    bias: Annotated[
        str | None, typer.Option(help="Approximate bias field for --model nv: 'Bx,By,Bz' (e.g. "
                                 "'1 mT,2 mT,3 mT'; gauss accepted: '10 G') or its magnitude ('4.5 mT'; "
                                 "the direction then comes from the mean spectrum).")
    ] = None,
    side: Annotated[
        str, typer.Option(help="Sweeps to fit when the stack has two (QDMlab low/high): low, high or both.")
    ] = "both",
    roi: Annotated[
        str | None, typer.Option(help="Region of interest 'y0:y1,x0:x1' in pixels (before binning).")
    ] = None,
    pixel_size: Annotated[
        str | None, typer.Option(help="Pixel size with its unit, e.g. '1.2 um' (maps in metres).")
    ] = None,
    min_snr: Annotated[
        float, typer.Option(help="Least dip contrast / standard error of a converged pixel.")
    ] = 5.0,
    figure: Annotated[
        Path | None, typer.Option(help="Quick-look PNG (default: OUT with suffix .png).")
    ] = None,
    no_figure: Annotated[bool, typer.Option("--no-figure", help="Write no quick-look figure.")] = False,
):
    """Fit every spectrum of an ODMR stack; write fit parameters and field maps to OUT, print a
    summary and write a quick-look figure."""
    from .odmr.fit import check_chunks
    from .odmr.options import parse_bias, parse_pixel_size, parse_roi
    from .odmr.quicklook import quicklook_figure
    from .odmr.summary import fit_summary, format_summary
    from .odmr.workflow import fit_file

    check_chunks(chunks)
    extra = {} if frequency is None else {"frequency": frequency}
    if bias is not None:
        extra["b_guess"] = parse_bias(bias)
    path, result, used = fit_file(
        data, out, model=model, n_dips=n_dips, hyperfine=hyperfine, binning=binning, chunks=chunks,
        scheduler=scheduler, side=side, roi=None if roi is None else parse_roi(roi), min_snr=min_snr,
        frequency_unit=frequency_unit, pixel_size=parse_pixel_size(pixel_size), **extra,
    )
    typer.echo(format_summary(fit_summary(result)))
    typer.echo(f"wrote {path}")
    if not no_figure:
        png = figure if figure is not None else Path(path).with_suffix(".png")
        typer.echo(f"wrote {quicklook_figure(result, used, png)}")


# --- operando nmr: NMR spectroscopy (operando.nmr) ----------------------------------------------
nmr_app = typer.Typer(help="NMR spectroscopy of a cell: feasibility of detecting metal deposits.",
                      no_args_is_help=True)
app.add_typer(nmr_app, name="nmr")


@nmr_app.command("plan")
def nmr_plan(
    volume: Annotated[str, typer.Option(help="Deposit volume, e.g. '1e-3 mm^3'.")] = "1e-3 mm^3",
    thickness: Annotated[str, typer.Option(help="Thickness of the metal films, e.g. '1 um'.")] = "1 um",
    nucleus: Annotated[str, typer.Option(help="Nucleus, e.g. 7Li or 6Li.")] = "7Li",
    spectrometer: Annotated[str, typer.Option(help="Magnet by its 1H frequency, e.g. '600 MHz'.")] = "600 MHz",
    recycle: Annotated[str, typer.Option(help="Recycle delay per scan.")] = "1 s",
    target_snr: Annotated[float, typer.Option(help="Signal-to-noise ratio to reach.")] = 10.0,
    linewidth: Annotated[float, typer.Option(help="Line width in ppm.")] = 1.0,
    foil: Annotated[str, typer.Option(help="Thickness of a metal foil around the cell, e.g. '10 um'.")] = "0 um",
    foil_metal: Annotated[str, typer.Option(help="Metal of that foil (Al, Cu, stainless_steel).")] = "Al",
):
    """SNR, scans and time to detect a metal deposit by NMR (skin depth and hardware included)."""
    from .nmr.feasibility import plan as nmr_feasibility
    from .units import to_si

    result = nmr_feasibility(
        to_si(volume, "m^3", name="volume"), to_si(thickness, "m", name="thickness"), nucleus_name=nucleus,
        spectrometer=to_si(spectrometer, "Hz", name="spectrometer"), recycle_delay=to_si(recycle, "s", name="recycle"),
        target_snr=target_snr, linewidth=linewidth, foil_thickness=to_si(foil, "m", name="foil"), foil_metal=foil_metal,
    )
    typer.echo(result.report())


# --- operando view: interactive viewer of a run in the browser (operando.viewer) -----------------
@app.command()
def view(
    path: Annotated[Path, typer.Argument(help="Run output folder, or one result file (e.g. an 'operando fit' .nc).")],
    port: Annotated[int, typer.Option(help="Port on localhost (0: any free port).")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the address.")] = False,
):
    """Explore a run in the browser: phases by depth, any variable by time and depth, truth vs reconstruction,
    field maps, spectra per pixel, the claims table (offline; Ctrl-C stops the server)."""
    from .viewer import serve

    def announce(server):
        for problem in server.catalog.problems:
            typer.secho(f"warning: {problem}", fg=typer.colors.YELLOW, err=True)
        typer.echo(f"operando viewer of {path} at {server.url} (Ctrl-C to stop)")

    serve(path, port=port, open_browser=not no_browser, announce=announce)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, err=True)


def main():  # console-script entry point
    import warnings

    from .errors import OperandoError

    warnings.showwarning = _show_warning
    try:
        app()
    except OperandoError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
