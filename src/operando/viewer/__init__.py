"""An interactive viewer of a run's output folder (or one result file such as an ``operando fit`` result).

Stack, and why. The page is one static HTML document with a hand-written canvas renderer (about 500
lines of JavaScript, inlined), fed by a localhost HTTP server from the standard library
(:mod:`http.server`) that reads only the requested frame from the lazily opened datasets and sends
it as binary float32. Why not the alternatives:

* Panel/HoloViews/Bokeh served locally would bring a Tornado server, a websocket protocol and a large
  dependency tree none of the rest of operando needs (and none is installed); their image glyphs are
  also heavier than drawing a float32 frame into an ``ImageData`` ourselves.
* Plotly ships its 4.6 MB JavaScript in the pip package and could be inlined offline, but a
  512 × 512 heatmap re-layout per slider move is slower than a colormap lookup on a canvas, and
  checking the rendered values from a test is simpler when the page keeps the frame it drew.
* A fully static page with every array inlined cannot hold a 512 × 512 × 64 × 50 variable (3.4 GB);
  lazy slicing keeps one frame (1 MiB) per slider move.

``operando view OUTPUT_DIR`` starts the server and opens the browser; :func:`view` in Jupyter returns
an inline IFrame on the same server. Nothing in operando imports this package.
"""

from __future__ import annotations

from .catalog import Catalog, ViewerInputError
from .server import ViewerServer, page_html

__all__ = ["Catalog", "ViewerInputError", "ViewerServer", "page_html", "serve", "view"]

_RUNNING: dict[str, ViewerServer] = {}


def _path_of(path_or_run):
    """A folder, a file, or a pipeline result with an ``out``/``report`` attribute."""
    for attr in ("out", "folder"):
        if hasattr(path_or_run, attr):
            return getattr(path_or_run, attr)
    if hasattr(path_or_run, "report"):
        from pathlib import Path

        return Path(path_or_run.report).parent
    return path_or_run


def serve(path, *, port: int = 0, open_browser: bool = True, block: bool = True, announce=None) -> ViewerServer:
    """Serve the viewer of ``path`` on localhost; with ``block`` until interrupted (Ctrl-C).
    ``announce(server)`` is called once the server has its address (the command line prints it)."""
    server = ViewerServer(path, port=port)
    if announce is not None:
        announce(server)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    if not block:
        return server.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return server


def view(path_or_run, *, width: str = "100%", height: int = 760):
    """The viewer of a run inline in Jupyter (an IFrame on a background localhost server). A path that
    is not a run or a result file gives its message on the console and, in Jupyter, as the cell's output."""
    import html
    import sys
    from pathlib import Path

    key = str(Path(_path_of(path_or_run)).resolve())
    if key not in _RUNNING:
        try:
            _RUNNING[key] = ViewerServer(key).start()
        except ViewerInputError as exc:
            print(f"operando view: {exc}", file=sys.stderr)
            try:
                from IPython.display import HTML
            except ImportError:
                raise exc from None
            return HTML(f'<div class="operando-viewer-error" style="padding:.6em 1em;background:#fff6e5;'
                        f'border:1px solid #f0c36d">operando view: {html.escape(str(exc))}</div>')
    url = _RUNNING[key].url
    try:
        from IPython.display import IFrame
    except ImportError:
        return url
    return IFrame(url, width=width, height=height)
