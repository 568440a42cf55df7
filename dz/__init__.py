"""dz package."""
