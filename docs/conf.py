"""Sphinx configuration of the operando API reference (``make docs``; built with ``-W`` in CI).

Only Sphinx's own extensions are used, so the reference builds wherever Sphinx is installed.
"""

import re
import sys
from pathlib import Path

# the source tree first: the reference documents this checkout, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from operando import __version__

project = "operando"
author = "The operando developers"
copyright = "2026, The operando developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []

# docstrings are NumPy/Google-flavoured prose with ``literals``: napoleon reads their sections;
# "Attributes" as :ivar: fields, so a dataclass's fields are not described twice
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# no autodoc_mock_imports: the optional dependencies (numba, nmrglue, mrsimulator, algotom, ...) are
# imported inside the functions that use them, so every module imports without them

# references to names the reference does not document (numpy, xarray, private helpers) stay plain text
nitpicky = False
# a bare word in a type (``(nz, ny, nx) array``) may name two attributes (Grid.nz, CellSpec.nz): linking
# to either is harmless
suppress_warnings = ["ref.python"]

# Docstrings write physics in plain text: |B| (a magnitude) and shapes such as (3, *chi.shape). In
# reStructuredText "|B|" is a substitution and "*chi" opens an emphasis; both are escaped here, outside
# literals and roles, before napoleon reads the docstring.
_LITERAL = re.compile(r"(``.+?``|:\w+:`[^`]*`|`[^`]*`)")
_STAR_ARGS = re.compile(r"(?<=[(,\[] )\*(?=\w)|(?<=[(\[])\*(?=\w)")
# Many docstrings list their arguments as "name : what it is" lines, longer ones continued on indented
# lines; shown as a definition list (the name, then its description) unless the docstring has
# NumPy-style sections, which napoleon reads.
_ENTRY = re.compile(r"^([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*) : (\S.*)$")
_UNDERLINE = re.compile(r"^\s*(-{3,}|={3,})\s*$")


def _escape_plain_text(line: str) -> str:
    if line.lstrip().startswith(("| ", "+-", "+=")) or line.strip() == "|":  # a table or line block
        return line
    parts = _LITERAL.split(line)
    for i in range(0, len(parts), 2):  # the even parts lie outside literals and roles
        parts[i] = _STAR_ARGS.sub(r"\\*", parts[i].replace("|", r"\|"))
    return "".join(parts)


def _entries_as_definitions(lines: list[str]) -> list[str]:
    if any(_UNDERLINE.match(line) for line in lines):
        return lines
    out, in_list = [], False
    for line in lines:
        entry = _ENTRY.match(line)
        if entry:
            if out and out[-1].strip() and not in_list:
                out.append("")
            out += [f"``{entry[1]}``", f"    {entry[2]}"]
            in_list = True
        elif in_list and line.startswith(" ") and line.strip():
            out.append(f"    {line.strip()}")
        else:
            if in_list and line.strip():
                out.append("")
            out.append(line)
            in_list = False
    return out


def _rst_of_docstring(app, what, name, obj, options, lines):
    lines[:] = _entries_as_definitions([_escape_plain_text(line) for line in lines])


def setup(app):
    app.connect("autodoc-process-docstring", _rst_of_docstring, priority=400)
