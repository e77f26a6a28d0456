"""containers family (kinds to come)."""
