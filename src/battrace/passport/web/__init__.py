"""The battery passport web viewer, its QR codes and the identifier resolver (Art. 77(3), Art. 13(6))."""

from battrace.passport.web.router import viewer_router

__all__ = ["viewer_router"]
