"""Deterministic generator of realistic legacy sources for the four reference models."""
