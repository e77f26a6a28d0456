"""management family (kinds to come)."""
