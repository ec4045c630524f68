"""Applications on the data space (BASC report §5.2): carbon footprint, due diligence, recycling and
state of health."""
