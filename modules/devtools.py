"""devtools family (kinds to come)."""
