"""Helpers shared by property modules: no module below this package defines a property."""
