"""integration family (kinds to come)."""
