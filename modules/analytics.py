"""analytics family (kinds to come)."""
