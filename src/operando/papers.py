"""The source papers, cited the same way wherever a user sees a claim or a number taken from them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    authors: str
    title: str
    journal: str
    year: int
    doi: str | None = None

    @property
    def short(self) -> str:
        """``Pollok et al., Nat. Commun. 2025``"""
        return f"{self.authors}, {self.journal} {self.year}"

    @property
    def citation(self) -> str:
        doi = f", doi:{self.doi}" if self.doi else ""
        return f"{self.authors}, {self.title}, {self.journal} {self.year}{doi}"


POLLOK2025 = Paper("Pollok et al.", "Magnetic microscopy for operando imaging of battery dynamics",
                   "Nat. Commun.", 2025, "10.1038/s41467-025-63409-y")
KHOSHKALAM2025 = Paper("Khoshkalam et al.", "A microscopic view of solid-state lithium batteries",
                       "Nanoscale Horiz.", 2025, "10.1039/d5nh00009b")
HUANG2025 = Paper("Huang et al.", "Li+ concentration and morphological changes at the anode and cathode "
                  "interphases inside solid-state lithium metal batteries", "J. Phys. Energy", 2025)
LIU2025 = Paper("Liu et al.", "Dendrite formation in solid-state batteries arising from lithium plating and "
                "electrolyte reduction", "Nat. Mater.", 2025, "10.1038/s41563-024-02094-6")
ZHENG2024 = Paper("Zheng, Liu & Xiang", "Solid-state NMR studies of lithium and sodium metal batteries",
                  "J. Phys. Chem. C", 2024)
