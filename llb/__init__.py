"""llb package."""
