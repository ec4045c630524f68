"""Server-rendered consoles (issue 8): a company's own at /console on a company node
(``company_console_router``), the operator's at /console on an operator node
(``battrace.console.operator.operator_console_router``). Read-only pages behind a login with the management
API key; no JavaScript.

``company_console_router`` is loaded on first use, so an operator process importing
``battrace.console.operator`` does not also load the whole company node (about a quarter of its start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from battrace.console.company import company_console_router
else:

    def __getattr__(name: str) -> Any:
        if name == "company_console_router":
            from battrace.console.company import company_console_router

            return company_console_router
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["company_console_router"]
