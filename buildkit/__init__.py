"""buildkit package."""
