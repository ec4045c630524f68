"""The shipped due-diligence example (battrace.apps.duediligence.example), under the name the tests use."""

from battrace.apps.duediligence.example import (
    ANODECO,
    CATHODECO,
    CELLCO,
    COBALT_TRADER,
    CONFORMANT_CSV,
    GRAPHITE_TRADER,
    LITHIUM_CHEM,
    answers,
    cellco,
    chain,
    declaration,
)

__all__ = [
    "ANODECO",
    "CATHODECO",
    "CELLCO",
    "COBALT_TRADER",
    "CONFORMANT_CSV",
    "GRAPHITE_TRADER",
    "LITHIUM_CHEM",
    "answers",
    "cellco",
    "chain",
    "declaration",
]
