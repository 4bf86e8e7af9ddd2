"""Options given as text (CLI, configs) for an ODMR fit: fields with units (gauss included, see
:mod:`operando.units`), regions of interest, pixel sizes, frequency units."""

from __future__ import annotations

from ..errors import InputError
from ..units import to_si

GAUSS = 1e-4  # T


def field_to_si(value, name: str) -> float:
    """A magnetic field (T) from ``"1 mT"``, ``"10 G"``, ``"5 uT"`` or a bare number in T."""
    return to_si(value, "T", name=name)


def parse_bias(text: str, name: str = "bias") -> tuple[float, float, float] | float:
    """A bias field (3,) T from ``"Bx,By,Bz"`` with units, or its magnitude (a float, T) from
    one value such as ``"1 mT"`` or ``"10 G"``."""
    parts = [p for p in str(text).split(",") if p.strip()]
    if len(parts) == 1:
        magnitude = field_to_si(parts[0], name)
        if magnitude < 0:
            raise InputError(f"{name}: a single value is the field's magnitude (>= 0), got {text!r}")
        return magnitude
    if len(parts) != 3:
        raise InputError(
            f"{name}: expected the field's magnitude or three components 'Bx,By,Bz', e.g. "
            f"'1 mT' or '1 mT,2 mT,3 mT'; got {len(parts)} values in {text!r}"
        )
    return tuple(field_to_si(p, f"{name}[{i}]") for i, p in enumerate(parts))


def parse_roi(text: str) -> tuple[slice, slice]:
    """``"y0:y1,x0:x1"`` (pixel indices, Python slices; either part may be left empty as ``:``)
    to (y slice, x slice)."""
    parts = str(text).split(",")
    if len(parts) != 2:
        raise InputError(f"roi: expected 'y0:y1,x0:x1' (pixel indices), got {text!r}")
    out = []
    for axis, part in zip("yx", parts, strict=True):
        bounds = part.split(":")
        try:
            if len(bounds) != 2:
                raise ValueError
            lo, hi = (int(b) if b.strip() else None for b in bounds)
        except ValueError:
            raise InputError(f"roi: the {axis} range {part!r} is not 'start:stop' in pixels") from None
        out.append(slice(lo, hi))
    return out[0], out[1]


def parse_pixel_size(text) -> float | None:
    """Pixel size in m from ``"1.2 um"`` (a length with its unit); None stays None."""
    if text is None:
        return None
    size = to_si(text, "m", name="pixel_size")
    if not size > 0:
        raise InputError(f"pixel_size: must be a length > 0, got {text!r}")
    return size
