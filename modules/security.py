"""security family (kinds to come)."""
