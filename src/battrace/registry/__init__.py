"""Digital twin registry: AAS Part 2 shell and submodel descriptors with Tractus-X visibility (DTR)."""

from battrace.registry.http import registry_router
from battrace.registry.model import (
    OWNER,
    RegistryCaller,
    ShellDescriptor,
    SubmodelDescriptor,
    decode_id,
    encode_id,
    submodel_descriptor,
)
from battrace.registry.service import Page, Registry

__all__ = [
    "OWNER",
    "Page",
    "Registry",
    "RegistryCaller",
    "ShellDescriptor",
    "SubmodelDescriptor",
    "decode_id",
    "encode_id",
    "registry_router",
    "submodel_descriptor",
]
