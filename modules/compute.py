"""compute family (kinds to come)."""
