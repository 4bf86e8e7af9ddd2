"""A localhost HTTP server (standard library) that serves the page and, on request, frames as float32.

Routes (all GET):

* ``/``: the page (HTML with its script and style inlined; nothing fetched from a network);
* ``/api/manifest``: datasets, variables, dims, coordinates, units, pairs, claims, problems (JSON);
* ``/api/frame?ds=&var=&sel=``: one image, little-endian float32, shape in ``X-Shape`` (rows, cols);
* ``/api/spectrum?ds=&var=&row=&col=&sel=``: one pixel along ``frequency`` with fits (JSON);
* ``/api/pixel?ds=&row=&col=&sel=``: every image variable of a dataset at one pixel (JSON);
* ``/api/outline?ds=&var=&labels=&z=``: phase labels on that variable's grid, int16;
* ``/report.html``: the run's static report.

Bad requests answer 400 with ``{"error": message}`` (the message of the :class:`~operando.errors.OperandoError`).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlparse

import numpy as np

from ..errors import OperandoError
from .catalog import Catalog
from .claims import link_claims, read_claims
from .slices import frame, outline, pixel_values, spectrum


def page_html() -> str:
    """The viewer page with its stylesheet and script inlined."""
    static = resources.files("operando.viewer") / "static"
    page = (static / "viewer.html").read_text()
    return (page.replace("/*STYLE*/", (static / "viewer.css").read_text())
                .replace("/*SCRIPT*/", (static / "viewer.js").read_text()))


def _manifest(catalog: Catalog) -> dict:
    out = catalog.manifest()
    run = catalog.path if catalog.path.is_dir() else catalog.path.parent
    rows, origin = read_claims(run) if catalog.path.is_dir() else ([], "")
    out["claims"] = link_claims(rows, out["datasets"])
    out["claims_source"] = origin
    return out


class _Handler(BaseHTTPRequestHandler):
    catalog: Catalog  # set on the subclass made by make_server
    server_version = "operando-viewer"

    def log_message(self, format, *args):  # quiet: the console is for errors only
        pass

    def _send(self, body: bytes, content_type: str, status=HTTPStatus.OK, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj, status=HTTPStatus.OK):
        self._send(json.dumps(obj, allow_nan=False, default=str).encode(), "application/json", status)

    def do_GET(self):  # the http.server API
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            self._route(url.path, q)
        except (OperandoError, KeyError, ValueError) as exc:
            message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            self._json({"error": message}, HTTPStatus.BAD_REQUEST)
        except BrokenPipeError:
            pass

    def _route(self, path: str, q: dict):
        sel = json.loads(q.get("sel", "{}"))
        if path in ("/", "/index.html"):
            self._send(page_html().encode(), "text/html; charset=utf-8")
        elif path == "/api/manifest":
            self._json(_manifest(self.catalog))
        elif path == "/api/frame":
            img = frame(self.catalog.source(q["ds"]), q["var"], sel)
            finite = img[np.isfinite(img)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
            self._send(img.astype("<f4").tobytes(), "application/octet-stream",
                       headers={"X-Shape": f"{img.shape[0]},{img.shape[1]}", "X-Range": f"{lo!r},{hi!r}"})
        elif path == "/api/spectrum":
            self._json(spectrum(self.catalog, q["ds"], q["var"], int(q["row"]), int(q["col"]), sel))
        elif path == "/api/pixel":
            self._json(pixel_values(self.catalog.source(q["ds"]), int(q["row"]), int(q["col"]), sel))
        elif path == "/api/outline":
            mask = outline(self.catalog, q["ds"], q["var"], q["labels"], int(q.get("z", 0)))
            self._send(mask.astype("<i2").tobytes(), "application/octet-stream",
                       headers={"X-Shape": f"{mask.shape[0]},{mask.shape[1]}"})
        elif path == "/report.html" and (self.catalog.path / "report.html").is_file():
            self._send((self.catalog.path / "report.html").read_bytes(), "text/html; charset=utf-8")
        else:
            self._json({"error": f"no such page {path!r}"}, HTTPStatus.NOT_FOUND)


class ViewerServer:
    """The viewer of one run on ``http://127.0.0.1:PORT/``; :meth:`start` serves from a daemon thread."""

    def __init__(self, path, port: int = 0, host: str = "127.0.0.1"):
        self.catalog = Catalog(path)  # raises ViewerInputError for a path that cannot be viewed
        handler = type("Handler", (_Handler,), {"catalog": self.catalog})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> ViewerServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.catalog.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
