"""Figures and the self-contained HTML report of a run."""

from ..verdicts import BY_CONSTRUCTION, DIFFERS, NOT_APPLICABLE, REPRODUCED, VERDICTS, Claim, Section, verdict_summary
from .html import figure_png, render_report, write_report

__all__ = ["BY_CONSTRUCTION", "DIFFERS", "NOT_APPLICABLE", "REPRODUCED", "VERDICTS", "Claim", "Section",
           "figure_png", "render_report", "verdict_summary", "write_report"]
