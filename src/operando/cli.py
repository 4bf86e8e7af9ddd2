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


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
):
    """Operando imaging of solid-state batteries."""


def _report(result) -> None:
    """Print the warnings, the claim table and where the results are."""
    from .papers import POLLOK2025
    from .report import verdict_summary

    if result.claims:
        typer.echo(f"Claims of {POLLOK2025.short}:")
    for c in result.claims:
        typer.echo(f"  {c.id:>4} {c.verdict:<15} {c.ours}")
    total = sum(result.timings.values())
    summary = verdict_summary(result.claims) if result.claims else "no claims judged"
    typer.echo(f"{summary}; stages computed: {', '.join(result.computed) or 'none (all cached)'}; {total:.1f} s")
    typer.echo(f"report: {result.report}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("operando-out"),
    full: Annotated[bool, typer.Option("--full", help="High-resolution version (slow).")] = False,
    section: Annotated[
        bool, typer.Option("--2d", help="A 2-D section of the cell instead of the volume (seconds; "
                           "overstates the 1C spread, claim M1).")
    ] = False,
):
    """Run the seed experiment end to end and write figures, datasets and a report to OUT."""
    from .pipeline.demo import demo_config
    from .pipeline.run import run_experiment

    _report(run_experiment(demo_config(out, full=full, section=section)))


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="TOML or YAML run configuration.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (overrides config).")] = None,
):
    """Run the whole experiment described by CONFIG (resumes where a previous run stopped)."""
    from .pipeline.config import RunConfig
    from .pipeline.run import run_experiment

    cfg = RunConfig.from_file(config)
    if out is not None:
        cfg = cfg.model_copy(update={"out": out})
    _report(run_experiment(cfg))


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


# --- sub-commands contributed by the stages (keep each one a thin wrapper) ---------------------


@app.command()
def plan(
    signal: Annotated[
        list[str] | None, typer.Option(help="Field, e.g. '10 uT' (repeatable); default: seed 000.")
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

        for path in feasibility_plots.save_all(plots):
            typer.echo(f"wrote {path}")


@app.command()
def fit(
    data: Annotated[
        Path, typer.Argument(help="ODMR stack (.npz, .h5, .nc, .zarr, .tif, .mat, .txt).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Result file (.nc or .zarr).")],
    model: Annotated[
        str, typer.Option(help="lorentzian, gaussian or nv (8-line Hamiltonian fit).")
    ] = "lorentzian",
    n_dips: Annotated[int, typer.Option(help="Number of dips (lorentzian/gaussian).")] = 2,
    hyperfine: Annotated[
        str | None, typer.Option(help="14N or 15N hyperfine multiplets.")
    ] = None,
    binning: Annotated[int, typer.Option(help="Pixel binning factor.")] = 1,
    frequency: Annotated[
        Path | None, typer.Option(help="Text file of frequencies (Hz) if DATA has none.")
    ] = None,
    chunks: Annotated[
        int | None, typer.Option(help="Fit chunk by chunk (pixels per side).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="dask.distributed scheduler address.")
    ] = None,
    bias: Annotated[
        str | None, typer.Option(help="Approximate bias field for --model nv, e.g. '1mT,2mT,3mT'.")
    ] = None,
):
    """Fit every spectrum of an ODMR stack; write fit parameters and field maps to OUT."""
    from .odmr.workflow import fit_file
    from .units import to_si

    extra = {} if frequency is None else {"frequency": frequency}
    if bias is not None:
        extra["b_guess"] = tuple(to_si(v, "T", name="bias") for v in bias.split(","))
    path = fit_file(data, out, model=model, n_dips=n_dips, hyperfine=hyperfine, binning=binning,
                    chunks=chunks, scheduler=scheduler, **extra)
    typer.echo(f"wrote {path}")


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
    from .viewer import ViewerServer

    server = ViewerServer(path, port=port)
    for problem in server.catalog.problems:
        typer.secho(f"warning: {problem}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"operando viewer of {path} at {server.url} (Ctrl-C to stop)")
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


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
