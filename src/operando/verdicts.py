"""Claims of the papers with their verdicts, and the sections a report is made of.

Plain data, below every stage, so that each instrument's experiment (``operando.nmr.mri.experiment``,
``operando.xray.experiment``) can state its claims and figures without importing the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REPRODUCED, DIFFERS, BY_CONSTRUCTION, NOT_APPLICABLE = "reproduced", "differs", "by construction", "not applicable"
VERDICTS = (REPRODUCED, DIFFERS, BY_CONSTRUCTION, NOT_APPLICABLE)


@dataclass
class Claim:
    """One quantitative claim of a paper, with our number beside the paper's and a verdict:

    * ``reproduced`` — measured by simulation at the paper's conditions, with a threshold that could fail;
    * ``differs`` — measured, and it does not meet the paper's words; ``note`` gives the reason;
    * ``by construction`` — a property of the model or the mathematics, not counted as a reproduction;
    * ``not applicable`` — the run's conditions are not the paper's (``note`` says which).
    """

    id: str
    claim: str
    paper: str
    ours: str
    verdict: str
    where: str = ""
    note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict: expected one of {VERDICTS}, got {self.verdict!r}")

    @property
    def passed(self) -> bool:
        return self.verdict == REPRODUCED


def verdict_summary(claims: list[Claim]) -> str:
    """``"7 reproduced, 4 differ, 2 by construction"`` (not-applicable claims named only if any)."""
    n = {v: sum(c.verdict == v for c in claims) for v in VERDICTS}
    parts = [f"{n[REPRODUCED]} reproduced", f"{n[DIFFERS]} differ", f"{n[BY_CONSTRUCTION]} by construction"]
    if n[NOT_APPLICABLE]:
        parts.append(f"{n[NOT_APPLICABLE]} not applicable")
    return ", ".join(parts)


@dataclass
class Section:
    title: str
    text: str = ""
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # (caption, PNG bytes)
    table: list[dict] | None = None


