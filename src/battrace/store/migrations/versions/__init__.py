"""Numbered migrations; never edit a released one, add the next."""
