"""The surfaces of tests/fuzz cover the node's published OpenAPI: every operation is fuzzed by exactly one
surface's test, so a new route cannot slip past the fuzzing unnoticed."""

from __future__ import annotations

from .harness import NODE_SURFACES, UNDECLARED_PATH_PARAMETERS, fuzz_node, undeclared_path_parameters


def test_every_published_operation_belongs_to_exactly_one_surface() -> None:
    openapi = fuzz_node().app.openapi()
    owners = {
        f"{method.upper()} {path}": [s.name for s in NODE_SURFACES if s.matches(path)]
        for path, operations in openapi["paths"].items()
        for method in operations
    }
    assert {operation: names for operation, names in owners.items() if len(names) != 1} == {}


def test_only_the_known_routes_leave_a_path_parameter_undeclared() -> None:
    assert undeclared_path_parameters(fuzz_node().app.openapi()) == UNDECLARED_PATH_PARAMETERS
