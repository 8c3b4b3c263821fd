"""creation operations (to be written)."""
__all__ = []
