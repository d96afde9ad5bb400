"""Civic Desk: the composition root that wires the domain packages to their adapters."""

__version__ = "0.1.0"
