"""battrace: a battery traceability data space (Dataspace Protocol connector, trust, ledger, passport)."""

__version__ = "0.1.0"
