"""frontend family (kinds to come)."""
