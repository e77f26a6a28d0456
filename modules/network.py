"""network family (kinds to come)."""
