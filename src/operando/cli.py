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


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("operando-out"),
    full: Annotated[bool, typer.Option("--full", help="High-resolution version (slow).")] = False,
):
    """Run the seed experiment end to end and write figures, datasets and a report to OUT."""
    from .pipeline.demo import run_demo

    path = run_demo(out, full=full)
    typer.echo(f"wrote {path}")


# --- sub-commands contributed by the stages (keep each one a thin wrapper) ---------------------


def main():  # console-script entry point
    from .errors import OperandoError

    try:
        app()
    except OperandoError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
