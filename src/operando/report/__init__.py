"""Figures and the self-contained HTML report of a run."""

from .html import Claim, Section, figure_png, render_report, write_report

__all__ = ["Claim", "Section", "figure_png", "render_report", "write_report"]
