"""The claims table of a run, read back from ``claims.json`` or from the ``table.claims`` of ``report.html``,
each row linked to the variables it is measured on.

The report is parsed with the standard library's :mod:`html.parser`: the table is the one
:func:`operando.report.html.render_report` writes, so no HTML library is needed.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

COLUMNS = ("id", "claim", "paper", "ours", "verdict", "note")
#: words of a claim → (units or name prefix) of the variables it is measured on
TOPICS = (
    (re.compile(r"\bfield|µT|nT|\bT\b|stray|magnet", re.I), ("units", "T")),
    (re.compile(r"current|A/m", re.I), ("prefix", "J")),
    (re.compile(r"\bLi content|state of charge|\bx\b|lithiat|\bSOC\b", re.I), ("prefix", "x")),
    (re.compile(r"dendrite|phase|particle|buried", re.I), ("prefix", "labels")),
)


class _ClaimsTable(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._in_table, self._cell, self._row = [], False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "claims" in (attrs.get("class") or "").split():
            self._in_table = True
        elif self._in_table and tag == "tr":
            self._row = []
        elif self._in_table and tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" — ")

    def handle_endtag(self, tag):
        if tag == "table" and self._in_table:
            self._in_table = False
        elif tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(dict(zip(COLUMNS, self._row, strict=False)))
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_claims(folder) -> tuple[list[dict], str]:
    """Claim rows (dicts keyed by :data:`COLUMNS`) and the file they came from."""
    folder = Path(folder)
    if (folder / "claims.json").exists():
        rows = json.loads((folder / "claims.json").read_text())
        return [{c: str(r.get(c, "")) for c in COLUMNS} for r in rows], "claims.json"
    if (folder / "report.html").exists():
        parser = _ClaimsTable()
        parser.feed((folder / "report.html").read_text(errors="replace"))
        return parser.rows, "report.html"
    return [], ""


def _mentioned(name: str, datasets: list[dict], text: str) -> bool:
    """False for a sibling stage (``charge_5C`` beside ``charge_1C``) whose step the claim does not name,
    when it names another sibling's step ("C-10" is written "C/10")."""
    stem, _, step = name.partition("_")
    siblings = [d["name"].partition("_")[2] for d in datasets if d["name"].partition("_")[0] == stem]
    if not step or len(siblings) < 2:
        return True
    def named(s):
        return re.search(rf"(?<![\w/]){re.escape(s.replace('-', '/'))}(?![\w/])", text) is not None
    return named(step) or not any(named(s) for s in siblings)


def link_claims(rows: list[dict], datasets: list[dict]) -> list[dict]:
    """Add ``links``: ``[dataset, variable]`` pairs a claim's text names or whose topic it is about."""
    out = []
    for row in rows:
        text = f"{row.get('claim', '')} {row.get('ours', '')}"
        links = []
        for ds in (d for d in datasets if _mentioned(d["name"], datasets, text)):
            for v in ds["variables"]:
                named = len(v["name"]) >= 3 and re.search(rf"\b{re.escape(v['name'])}\b", text)
                topical = any(
                    pattern.search(text) and (
                        (how == "units" and v["units"] == key) or
                        (how == "prefix" and (v["name"] == key or v["name"].startswith(key + "_"))))
                    for pattern, (how, key) in TOPICS)
                if named or topical:
                    links.append([ds["name"], v["name"]])
        out.append({**row, "links": links[:8]})
    return out
