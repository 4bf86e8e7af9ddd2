"""A self-contained HTML report: figures embedded as PNG data URIs, tables as plain HTML.

Nothing is loaded from the network, so the file opens offline in any browser and can be mailed.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from ..io import atomic_write_text
from ..verdicts import BY_CONSTRUCTION, DIFFERS, NOT_APPLICABLE, REPRODUCED, Claim, Section, verdict_summary


def figure_png(fig, dpi: int = 110) -> bytes:
    """Render a matplotlib Figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
     padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;width:100%;font-size:.92em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3} tr.reproduced td.verdict{color:#0a6b2a;font-weight:600}
tr.differs td.verdict{color:#b00020;font-weight:600} tr.construction td.verdict{color:#555}
tr.na td.verdict{color:#888} .warn{padding:.5em 1em;background:#fff6e5;border:1px solid #f0c36d;border-radius:6px}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444} .meta{color:#555;font-size:.9em}
.summary{padding:.6em 1em;border-radius:6px;background:#f5f8ff;border:1px solid #cfdcf7}
"""


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(empty)</p>"
    cols = list(rows[0].keys())
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _claims_table(claims: list[Claim]) -> str:
    head = "<tr><th>#</th><th>claim</th><th>paper</th><th>operando</th><th>verdict</th><th>note</th></tr>"
    rows = []
    css = {REPRODUCED: "reproduced", DIFFERS: "differs", BY_CONSTRUCTION: "construction", NOT_APPLICABLE: "na"}
    for c in claims:
        rows.append(
            f'<tr class="{css[c.verdict]}" id="claim-{html.escape(c.id)}"><td>{html.escape(c.id)}</td>'
            f"<td>{html.escape(c.claim)}<br><span class=meta>{html.escape(c.where)}</span></td>"
            f"<td>{html.escape(c.paper)}</td><td>{html.escape(c.ours)}</td>"
            f'<td class="verdict">{c.verdict}</td><td>{html.escape(c.note)}</td></tr>'
        )
    return f'<table class="claims"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def render_report(title: str, meta: dict, claims: list[Claim], sections: list[Section],
                  warnings: list[str] = (), intro: Section | None = None, claims_source: str = "") -> str:
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p class=meta>" + " · ".join(f"{html.escape(k)}: {html.escape(str(v))}" for k, v in meta.items()) + "</p>",
    ]
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f'<div class="warn" id="warnings"><b>Warnings</b><ul>{items}</ul></div>')
    if intro is not None:
        parts.append(f'<h2 id="simulated">{html.escape(intro.title)}</h2>')
        if intro.text:
            parts.append(f"<p>{html.escape(intro.text)}</p>")
        if intro.table is not None:
            parts.append(_table(intro.table))
    if claims:
        parts += [
            f'<p class="summary" id="summary">Claims of {html.escape(claims_source or "the paper")}: '
            f"{verdict_summary(claims)}.</p>",
            "<h2>Paper claims</h2>",
            _claims_table(claims),
        ]
    for i, s in enumerate(sections):
        parts.append(f'<h2 id="section-{i}">{html.escape(s.title)}</h2>')
        if s.text:
            parts.append(f"<p>{html.escape(s.text)}</p>")
        for caption, png in s.figures:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        if s.table is not None:
            parts.append(_table(s.table))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path, title: str, meta: dict, claims: list[Claim], sections: list[Section], **kw) -> Path:
    """Write the report atomically and return its path (``kw`` as in :func:`render_report`)."""
    return atomic_write_text(path, render_report(title, meta, claims, sections, **kw))
