"""One naming scheme across every dataset a run writes (docs/conventions.md): no data variable named like
a coordinate, Li content always ``x_li``, units on every variable, vectors on one ``component`` dim that
comes first after time."""

import pytest
import xarray as xr

import operando

#: names a data variable must never take: the coordinates and dims of the grid and of time, and the
#: Li-content names that read like the coordinate x
FORBIDDEN = {"x", "y", "z", "t", "x_true", "x_reconstructed", "x_sem", "x_noiseless"}


def naming_problems(name: str, ds: xr.Dataset) -> list[str]:
    """Every way ``ds`` (called ``name``) breaks the naming scheme, as readable lines."""
    problems = [f"{name}: dim 'component2'" for d in ds.dims if d == "component2"]
    for var, da in ds.data_vars.items():
        where = f"{name}/{var}"
        if var in FORBIDDEN or var in ds.dims or (var.startswith("particle_x_") and
                                                  not var.startswith("particle_x_li")):
            problems.append(f"{where}: named like a coordinate (Li content is x_li)")
        if "units" not in da.attrs and da.dtype.kind not in "OUS":  # text (a step's kind, a reason) has none
            problems.append(f"{where}: no units")
        if "component" in da.dims:
            first = next(d for d in da.dims if d != "t")
            if first != "component":
                problems.append(f"{where}: dims {da.dims}, 'component' is not the first after time")
    if "component" in ds.coords and not set(ds["component"].values.tolist()) <= {"x", "y", "z"}:
        problems.append(f"{name}: component labels {ds['component'].values.tolist()} not a subset of x, y, z")
    return problems


def test_the_checker_finds_every_kind_of_problem():
    bad = xr.Dataset({"x_true": (("y", "x"), [[1.0]]), "J": (("y", "component2"), [[1.0, 2.0]], {"units": "A"}),
                      "B": (("y", "component"), [[1.0, 2.0, 3.0]], {"units": "T"}),
                      "particle_x_sem": (("p",), [0.1], {"units": "1"})},
                     coords={"component": ["x", "y", "w"]})
    found = "\n".join(naming_problems("bad", bad))
    for what in ("bad: dim 'component2'", "bad/x_true: named like a coordinate", "bad/x_true: no units",
                 "bad/B: dims ('y', 'component')", "bad/particle_x_sem: named like", "not a subset"):
        assert what in found
    good = xr.Dataset({"x_li_true": (("y", "x"), [[1.0]], {"units": "1"}),
                       "J_ion": (("t", "component", "y"), [[[1.0], [2.0]]], {"units": "A/m^2"})},
                      coords={"component": ["x", "y"]})
    assert naming_problems("good", good) == []


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, small_run):
    run = operando.run(small_run(tmp_path_factory.mktemp("naming") / "out"), progress=False, report=False)
    return run.datasets


def test_every_dataset_of_a_run_follows_the_naming_scheme(datasets):
    assert {"fields", "measurement", "reconstruction", "charge_5C"} <= set(datasets)
    problems = [p for name, ds in datasets.items() for p in naming_problems(name, ds)]
    assert problems == []


def test_li_content_and_in_plane_current_have_their_names(datasets):
    rec = datasets["reconstruction"]
    assert {"x_li_true", "x_li_reconstructed", "particle_x_li_true", "particle_x_li_reconstructed",
            "particle_x_li_sem"} <= set(rec.data_vars)
    assert rec["J_true"].dims == ("component", "y", "x") and rec["component"].values.tolist() == ["x", "y"]
    assert "x_li" in datasets["charge_5C"] and "x_li" not in datasets["charge_5C"].coords


def test_nv_acquisition_datasets_follow_the_naming_scheme():
    import numpy as np

    from operando.nv import ScanningNV, WidefieldNV, simulate_field_map, simulate_odmr

    B = np.zeros((3, 8, 8))
    B[2] = 1e-4  # a uniform 0.1 mT field, components first (3, ny, nx)
    f = np.linspace(2.86e9, 2.90e9, 21)
    scanning = ScanningNV(standoff=50e-9, dwell_time=0.01, axis="perpendicular")
    out = {"field_map": simulate_field_map(scanning, B, spacing=(50e-9, 50e-9)),
           "odmr_stack": simulate_odmr(scanning, B, f, spacing=(50e-9, 50e-9)),
           "widefield": simulate_field_map(WidefieldNV(standoff=50e-9), B, spacing=(50e-9, 50e-9))}
    assert [p for name, ds in out.items() for p in naming_problems(name, ds)] == []
    assert out["widefield"]["nv_axis"].dims == ("component", "axis")
