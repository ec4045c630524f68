"""Mappings between our flat passport attributes and external passport data models."""
