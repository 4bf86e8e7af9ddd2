"""Open a run in the viewer and move its time and depth sliders, in headless Chromium.

Targets (issue: interactive viewer): a 3-D demo output opens in under 5 s and a slice updates in
under 0.5 s, also on a 512 × 512 × 64-layer × 50-frame variable (3.4 GB float32, ``--large``).
The peer is what a static report does for one new frame: read it with xarray and draw it with
matplotlib to a PNG. Prints the times and the ratio peer / viewer for a slice update.

    PYTHONPATH=src python benchmarks/bench_viewer.py --run /tmp/viewer-demo3d
    PYTHONPATH=src python benchmarks/bench_viewer.py --large          # writes 3.4 GB under --cache once
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np

from operando.viewer import ViewerServer
from operando.viewer.browser import browser_available, chromium, wait_until

READY = "window.viewer && viewer.ready && viewer.pending === 0"
#: move a slider of the explore view and call back with the ms until every panel has redrawn
MOVE = """
const [dim, value, done] = arguments;
const s = document.querySelector(`section[data-view=explore] input[data-dim=${dim}]`);
const renders = viewer.renders, t0 = performance.now();
s.value = value; s.dispatchEvent(new Event('input'));
(function poll() {
  if (viewer.renders >= renders + viewer.panels.filter(p => p.view.name === 'explore').length && viewer.pending === 0)
    done(performance.now() - t0);
  else requestAnimationFrame(poll);
})();
"""


def large_dataset(folder: Path, shape=(50, 64, 512, 512)) -> Path:
    """A 512 × 512 × 64 × 50 float32 run folder (one frame per HDF5 chunk), written once."""
    import dask.array as da
    import xarray as xr

    path = folder / "large" / "charge_large.nc"
    if path.exists():
        return path.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    nt, nz, ny, nx = shape
    x_li = da.random.default_rng(0).random(shape, chunks=(1, 8, ny, nx)).astype(np.float32)
    dx = 50e-9
    ds = xr.Dataset({"x_li": (("t", "z", "y", "x"), x_li, {"units": "1", "long_name": "Li content"})},
                    coords={"t": ("t", 60.0 * np.arange(nt), {"units": "s"}),
                            "z": ("z", -dx * np.arange(nz), {"units": "m"}),
                            "y": ("y", dx * np.arange(ny), {"units": "m"}),
                            "x": ("x", dx * np.arange(nx), {"units": "m"})})
    tmp = path.with_suffix(".tmp")
    ds.to_netcdf(tmp, engine="h5netcdf", encoding={"x_li": {"chunksizes": (1, 1, ny, nx)}})
    tmp.rename(path)
    return path.parent


def peer_frame_ms(path: Path, dim_values: list[dict], var: str) -> float:
    """xarray read + matplotlib PNG of the same frames (ms per frame, median)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import xarray as xr

    files = sorted(p for p in path.glob("*.nc") if var in xr.open_dataset(p, engine="h5netcdf").data_vars)
    times = []
    with xr.open_dataset(files[0], engine="h5netcdf") as ds:
        for sel in dim_values:
            t0 = time.perf_counter()
            frame = ds[var].isel({k: v for k, v in sel.items() if k in ds[var].dims}).values
            fig, ax = plt.subplots(figsize=(4, 4))
            ax.imshow(frame.reshape(frame.shape[-2:]) if frame.ndim > 2 else frame)
            fig.savefig(io.BytesIO(), format="png", dpi=80)
            plt.close(fig)
            times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times)


def bench(path: Path, repeats: int) -> dict:
    driver = chromium()  # the user's browser is already running: its start is not timed
    t0 = time.perf_counter()
    server = ViewerServer(path).start()
    t_catalog = time.perf_counter() - t0
    try:
        driver.get(server.url)
        wait_until(driver, READY, timeout=120)
        t_open = time.perf_counter() - t0
        driver.execute_script("document.querySelector('nav button[data-view=explore]').click()")
        sizes = driver.execute_script(
            "const inputs = document.querySelectorAll('section[data-view=explore] input[data-dim]');"
            "return Object.fromEntries(Array.from(inputs, s => [s.dataset.dim, +s.max + 1]))")
        var = driver.execute_script("return viewer.panels.find(p => p.view.name === 'explore').var")
        moves, sels = [], []
        rng = np.random.default_rng(0)
        for dim in [d for d in ("t", "z") if sizes.get(d, 1) > 1]:
            for _ in range(repeats):
                value = int(rng.integers(0, sizes[dim]))
                moves.append(driver.execute_async_script(MOVE, dim, value))
                sels.append(driver.execute_script(
                    "return Object.assign({}, viewer.panels.find(p => p.view.name === 'explore').view.sel)"))
        return {"open_s": t_open, "catalog_s": t_catalog,
                "update_ms": statistics.median(moves) if moves else float("nan"),
                "update_max_ms": max(moves) if moves else float("nan"),
                "peer_ms": peer_frame_ms(path, sels, var) if sels else float("nan"), "var": var, "sizes": sizes}
    finally:
        driver.quit()
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", default=[], help="run folder(s) to open")
    parser.add_argument("--large", action="store_true", help="also a 512 × 512 × 64 × 50 float32 variable")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/operando-bench-viewer"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not browser_available():
        raise SystemExit("needs selenium, chromium and chromedriver")
    runs = list(args.run) + ([large_dataset(args.cache)] if args.large else [])
    if not runs:
        raise SystemExit("give --run FOLDER (e.g. an 'operando demo' output) and/or --large")
    for run in runs:
        r = bench(run, args.repeats)
        print(f"{run}: dims {r['sizes']} of {r['var']}")
        print(f"  open (server + page + first frames): {r['open_s']:.2f} s   (target < 5 s);"
              f" of which opening the datasets {r['catalog_s']:.2f} s")
        print(f"  slider update: median {r['update_ms']:.0f} ms, max {r['update_max_ms']:.0f} ms   (target < 500 ms)")
        print(f"  peer (xarray read + matplotlib PNG of the same frame): {r['peer_ms']:.0f} ms;"
              f" ratio peer / viewer {r['peer_ms'] / r['update_ms']:.1f}")


if __name__ == "__main__":
    main()
