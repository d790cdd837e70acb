"""3D scalar volumes (MRI, CT, microscopy): a coordinate network learns intensity(x, y, z)."""
