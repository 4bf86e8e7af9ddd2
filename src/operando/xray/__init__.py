"""X-ray imaging of the cell: Compton scattering and computed tomography."""
