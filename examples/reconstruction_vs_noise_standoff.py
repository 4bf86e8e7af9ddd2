"""How the reconstruction error of a sheet current grows with sensor noise and standoff.

A thin layer carrying two counter-rotating current loops is sent through the exact voxel field
engine to sensor planes at 30-240 nm, white noise of 0.1-100 nT is added to B_z, and the current
is reconstructed with the Fourier inverse filter (Hann window, cut-off wavelength = standoff) and
with Tikhonov regularisation (weight by the discrepancy principle). The figure shows the relative
L2 error inside the field of view (8 pixels excluded along each edge).

    python examples/reconstruction_vs_noise_standoff.py [output.png]
"""

import sys

import numpy as np

from operando.inverse import error_vs_noise_and_standoff, error_vs_noise_and_standoff_figure


def main(path: str = "reconstruction_vs_noise_standoff.png") -> None:
    errors = error_vs_noise_and_standoff(noise_levels=(1e-10, 1e-9, 1e-8, 1e-7),
                                         standoffs=(30e-9, 60e-9, 120e-9, 240e-9))
    np.set_printoptions(precision=4)
    for method in errors["method"].values:
        print(f"{method}: relative L2 error, rows = standoff (nm) "
              f"{(errors['standoff'].values * 1e9).round().tolist()}, "
              f"columns = noise (nT) {(errors['noise'].values * 1e9).tolist()}")
        print(errors.sel({"method": method}).values)
    fig = error_vs_noise_and_standoff_figure(errors)
    fig.savefig(path, dpi=120)
    print(f"figure written to {path}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
