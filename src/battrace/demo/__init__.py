"""`battrace demo`: the whole system on loopback (see ``battrace.demo.run``)."""

from battrace.demo.run import run_demo

__all__ = ["run_demo"]
