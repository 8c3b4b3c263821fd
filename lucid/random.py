"""Random numbers (to be written)."""
