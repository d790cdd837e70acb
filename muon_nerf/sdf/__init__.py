"""3D shape fitting: a coordinate network learns a mesh's signed distance (or occupancy) field."""
