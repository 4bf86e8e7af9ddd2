"""The dependency list matches the imports, and the licence and citation files agree with pyproject.toml.

An import at module level needs a core dependency; an import inside a function may come from an extra
(the function says which to install); an import guarded by ``except ImportError`` is optional.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: core dependencies used by name through another library, never imported: xarray's file back ends
USED_THROUGH_XARRAY = {"netcdf4", "h5netcdf", "zarr"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _norm(re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0])


CORE = {_requirement_name(r) for r in PROJECT["dependencies"]}
EXTRAS = {name: {_requirement_name(r) for r in reqs} for name, reqs in PROJECT["optional-dependencies"].items()}


def _guarded(node, parents) -> bool:
    """True when ``node`` sits in a ``try`` whose handlers catch ImportError."""
    while node in parents:
        node, child = parents[node], node
        if isinstance(node, ast.Try) and child in node.body:
            for handler in node.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
    return False


def _in_function(node, parents) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return True
    return False


def third_party_imports() -> list[tuple[str, str, bool]]:
    """(top-level module, file, at module level) of every unguarded third-party import in src/operando."""
    out = []
    for path in sorted((ROOT / "src" / "operando").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in {m.split(".")[0] for m in modules}:
                if module in sys.stdlib_module_names or module == "operando" or _guarded(node, parents):
                    continue
                out.append((module, str(path.relative_to(ROOT)), not _in_function(node, parents)))
    return out


IMPORTS = third_party_imports()
DISTRIBUTIONS = packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_norm(d) for d in DISTRIBUTIONS.get(module, [module])}


def test_imports_are_found():
    assert {"numpy", "scipy", "xarray"} <= {m for m, _, _ in IMPORTS}


def test_every_import_is_a_declared_dependency():
    declared = CORE.union(*EXTRAS.values())
    undeclared = sorted({(m, f) for m, f, _ in IMPORTS if not _distributions(m) & declared})
    assert not undeclared, f"imported but in no dependency list of pyproject.toml: {undeclared}"


def test_module_level_imports_are_core_dependencies():
    optional = sorted({(m, f) for m, f, top in IMPORTS if top and not _distributions(m) & CORE})
    assert not optional, (f"imported when the module loads, so `import operando...` fails without them; "
                          f"declare them in [project] dependencies or import them inside the function: {optional}")


def test_every_core_dependency_is_used():
    imported = set().union(*(_distributions(m) for m, _, _ in IMPORTS))
    assert not CORE - imported - USED_THROUGH_XARRAY, "declared in [project] dependencies but never imported"


def test_licence_and_citation_agree_with_pyproject():
    import operando

    assert PROJECT["license"] == "BSD-3-Clause"
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    citation = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^license: BSD-3-Clause$", citation, flags=re.M)
    assert re.search(rf"^version: {re.escape(operando.__version__)}$", citation, flags=re.M), (
        "CITATION.cff names another version than operando.__version__")


@pytest.mark.parametrize("text, expected", [("pyyaml>=6", "pyyaml"), ("dask[array]>=2024.1", "dask"),
                                            ("scikit_image >= 0.22", "scikit-image")])
def test_requirement_names(text, expected):
    assert _requirement_name(text) == expected
