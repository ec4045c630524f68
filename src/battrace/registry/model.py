"""AAS Part 2 descriptors (IDTA-01002 v3.1, Tractus-X DTR profile): validation, base64url ids, visibility.

Pure module: no I/O. Descriptors are validated with pydantic models whose field names are the JSON names of
the OpenAPI (`aas-registry-openapi.yaml`, components/schemas), so a validated descriptor dumps back to exactly
the JSON the client sent (`exclude_unset`): the registry never invents or drops a field.

Visibility follows the Tractus-X DTR "classic" access control (docs/architecture/6-crosscutting-concepts):
a specificAssetId is readable by the owner, by every BPN listed in its `externalSubjectId.keys[].value`, and
by everybody when that list holds `PUBLIC_READABLE` and the id's name is one the DTR lets be public.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from battrace.errors import InvalidInput

# The DTR's default `registry.externalSubjectIdWildcardAllowedTypes`: only these names may be public, because
# a public serial number would let competitors count another company's production (antitrust).
PUBLIC_READABLE = "PUBLIC_READABLE"
PUBLIC_READABLE_NAMES = frozenset({"manufacturerPartId", "assetLifecyclePhase"})
# AASd-116: "globalAssetId" is a reserved specificAssetId name that refers to the shell's globalAssetId.
GLOBAL_ASSET_ID = "globalAssetId"
# The lookup cases expect this exact text for an undecodable assetIds value (DTR integration test 22).
BAD_BASE64 = "Incorrect Base64 encoded value provided as parameter"
MAX_DEPTH = 32
# The OpenAPI counts characters; PostgreSQL's B-tree refuses index entries over 2704 bytes, which 2048
# characters of incompressible non-ASCII text exceed. Indexed strings are therefore also capped in UTF-8 bytes
# (real ids are ASCII URNs and BPNs, far below both limits).
MAX_ID_BYTES = 2048
MAX_SUBJECT_BYTES = 256

# XML 1.0 characters, the `pattern` of every AAS string type (\ud800-\udfff are not characters).
_XML = r"^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$"
_ID_SHORT = r"^[a-zA-Z][a-zA-Z0-9_-]*[a-zA-Z0-9_]+$"
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=_XML)]
IdShort = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_ID_SHORT)]
Short = Annotated[str, StringConstraints(max_length=128)]
Version = Annotated[str, StringConstraints(min_length=1, max_length=4, pattern=r"^(0|[1-9][0-9]*)$")]
KeyType = Literal[
    "AnnotatedRelationshipElement", "AssetAdministrationShell", "BasicEventElement", "Blob", "Capability",
    "ConceptDescription", "DataElement", "Entity", "EventElement", "File", "FragmentReference",
    "GlobalReference", "Identifiable", "MultiLanguageProperty", "Operation", "Property", "Range", "Referable",
    "ReferenceElement", "RelationshipElement", "Submodel", "SubmodelElement", "SubmodelElementCollection",
    "SubmodelElementList",
]  # fmt: skip


class _Shape(BaseModel):
    # Unknown fields are refused: a misspelt "specificAssetID" silently dropped would make a twin unfindable.
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True, strict=True)


class Key(_Shape):
    type: KeyType
    value: Identifier


class Reference(_Shape):
    type: Literal["ExternalReference", "ModelReference"]
    keys: list[Key] = Field(min_length=1)
    referredSemanticId: Reference | None = None


class LangStringText(_Shape):
    language: Annotated[str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-zA-Z0-9-]+$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=1023, pattern=_XML)]


class LangStringName(LangStringText):
    text: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_XML)]


class Extension(_Shape):
    semanticId: Reference | None = None
    supplementalSemanticIds: list[Reference] | None = Field(default=None, min_length=1)
    name: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_XML)]
    valueType: Annotated[str, StringConstraints(pattern=r"^xs:[A-Za-z]+$")] | None = None
    value: Annotated[str, StringConstraints(pattern=_XML)] | None = None
    refersTo: list[Reference] | None = Field(default=None, min_length=1)


class AdministrativeInformation(_Shape):
    # embeddedDataSpecifications is passed through as JSON: IEC 61360 content is out of a registry's scope.
    embeddedDataSpecifications: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    version: Version | None = None
    revision: Version | None = None
    creator: Reference | None = None
    templateId: Identifier | None = None


class SecurityAttribute(_Shape):
    type: Literal["NONE", "RFC_TLSA", "W3C_DID"]
    key: str
    value: str


class ProtocolInformation(_Shape):
    href: Annotated[str, StringConstraints(max_length=2048)]
    endpointProtocol: Short | None = None
    endpointProtocolVersion: list[Short] | None = None
    subprotocol: Short | None = None
    subprotocolBody: Annotated[str, StringConstraints(max_length=2048)] | None = None
    subprotocolBodyEncoding: Short | None = None
    securityAttributes: list[SecurityAttribute] | None = Field(default=None, min_length=1)


class Endpoint(_Shape):
    interface: Short
    protocolInformation: ProtocolInformation


class SpecificAssetId(_Shape):
    semanticId: Reference | None = None
    supplementalSemanticIds: list[Reference] | None = Field(default=None, min_length=1)
    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_XML)]
    value: Identifier
    externalSubjectId: Reference | None = None

    def subjects(self) -> tuple[str, ...]:
        """The BPNs (and PUBLIC_READABLE) named by externalSubjectId, in order, without repeats."""
        if self.externalSubjectId is None:
            return ()
        return tuple(dict.fromkeys([k.value for k in self.externalSubjectId.keys]))


class AssetLink(_Shape):
    """A lookup criterion (POST /lookup/shellsByAssetLink); `name: "globalAssetId"` searches that field."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_XML)]
    value: Identifier


class _Descriptor(_Shape):
    description: list[LangStringText] | None = None
    displayName: list[LangStringName] | None = None
    extensions: list[Extension] | None = Field(default=None, min_length=1)
    administration: AdministrativeInformation | None = None
    idShort: IdShort | None = None
    id: Identifier


class SubmodelDescriptor(_Descriptor):
    endpoints: list[Endpoint] = Field(min_length=1)
    semanticId: Reference | None = None
    # Singular in the Part 2 OpenAPI (the metamodel's HasSemantics says supplementalSemanticIds).
    supplementalSemanticId: list[Reference] | None = Field(default=None, min_length=1)


class ShellDescriptor(_Descriptor):
    assetKind: Literal["Instance", "NotApplicable", "Role", "Type"] | None = None
    assetType: Identifier | None = None
    endpoints: list[Endpoint] | None = Field(default=None, min_length=1)
    globalAssetId: Identifier | None = None
    specificAssetIds: list[SpecificAssetId] | None = None
    submodelDescriptors: list[SubmodelDescriptor] | None = None
    # Server-set; accepted so a descriptor read from a registry can be written back, otherwise ignored.
    createdAt: str | None = None


def _problem(error: ValidationError, what: str) -> InvalidInput:
    details = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()[:5]
    )
    return InvalidInput(f"invalid {what}: {details}")


def _check_depth(value: Any) -> None:
    # A referredSemanticId chain nested thousands deep would exhaust the recursion of the validator.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"JSON nested deeper than {MAX_DEPTH} levels")
        children = item.values() if isinstance(item, dict) else item
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))


def parse_shell(data: Any) -> ShellDescriptor:
    """Validate an AssetAdministrationShellDescriptor (a JSON value); InvalidInput says what is wrong."""
    if isinstance(data, ShellDescriptor):
        return data
    if not isinstance(data, Mapping):
        raise InvalidInput("an AssetAdministrationShellDescriptor must be a JSON object")
    _check_depth(data)
    try:
        shell = ShellDescriptor.model_validate(dict(data))
    except ValidationError as error:
        raise _problem(error, "AssetAdministrationShellDescriptor") from None
    _check_shell_rules(shell)
    return shell


def parse_submodel(data: Any) -> SubmodelDescriptor:
    if isinstance(data, SubmodelDescriptor):
        return data
    if not isinstance(data, Mapping):
        raise InvalidInput("a SubmodelDescriptor must be a JSON object")
    _check_depth(data)
    try:
        submodel = SubmodelDescriptor.model_validate(dict(data))
    except ValidationError as error:
        raise _problem(error, "SubmodelDescriptor") from None
    _check_bytes(submodel.id, MAX_ID_BYTES, "id")
    return submodel


def parse_asset_links(data: Any) -> list[AssetLink]:
    """The body of POST /lookup/shellsByAssetLink: a JSON array of {name, value} (at most 10 000)."""
    if not isinstance(data, list):
        raise InvalidInput("the body must be a JSON array of {name, value} asset links")
    if len(data) > 10_000:
        raise InvalidInput("at most 10000 asset links per lookup")
    _check_depth(data)
    try:
        return [AssetLink.model_validate(item) for item in data]
    except ValidationError as error:
        raise _problem(error, "AssetLink") from None


def _check_bytes(value: str | None, limit: int, where: str) -> None:
    if value is not None and len(value) * 4 > limit and len(value.encode()) > limit:
        raise InvalidInput(f"{where}: at most {limit} bytes of UTF-8 (an indexed value)")


def _check_shell_rules(shell: ShellDescriptor) -> None:
    _check_bytes(shell.id, MAX_ID_BYTES, "id")
    _check_bytes(shell.globalAssetId, MAX_ID_BYTES, "globalAssetId")
    seen: set[str] = set()
    for n, submodel in enumerate(shell.submodelDescriptors or ()):
        _check_bytes(submodel.id, MAX_ID_BYTES, f"submodelDescriptors.{n}.id")
        if submodel.id in seen:
            raise InvalidInput(f"submodelDescriptors: the id {submodel.id!r} appears twice")
        seen.add(submodel.id)
    for n, asset_id in enumerate(shell.specificAssetIds or ()):
        _check_bytes(asset_id.value, MAX_ID_BYTES, f"specificAssetIds.{n}.value")
        for subject in asset_id.subjects():
            _check_bytes(subject, MAX_SUBJECT_BYTES, f"specificAssetIds.{n}.externalSubjectId")
        # AASd-116: a specificAssetId named globalAssetId (case-insensitive) must equal the globalAssetId.
        if asset_id.name.lower() == GLOBAL_ASSET_ID.lower() and asset_id.value != shell.globalAssetId:
            raise InvalidInput("AASd-116: a specificAssetId named globalAssetId must equal the globalAssetId")


def dump(descriptor: BaseModel) -> dict[str, Any]:
    """The JSON of a validated descriptor, exactly the fields the client set."""
    return descriptor.model_dump(mode="json", exclude_unset=True)


# -- base64url identifiers (AAS Part 2 §12.2: ids in paths are UTF8-BASE64-URL-encoded) ---------------------


def encode_id(identifier: str) -> str:
    """Base64url without padding, as the IDTA examples print ids in paths."""
    return base64.urlsafe_b64encode(identifier.encode()).decode().rstrip("=")


def decode_id(encoded: str, what: str = "identifier") -> str:
    """Decode a base64url value with or without padding; InvalidInput for anything else."""
    if not _BASE64URL.match(encoded) or len(encoded.rstrip("=")) % 4 == 1:
        raise InvalidInput(f"{what} is not base64url-encoded: {encoded[:100]!r}")
    try:
        text = base64.urlsafe_b64decode(encoded.rstrip("=") + "=" * (-len(encoded.rstrip("=")) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput(f"{what} is not base64url-encoded UTF-8: {encoded[:100]!r}") from None
    if not text:
        raise InvalidInput(f"{what} is empty")
    return text


def decode_asset_id_param(encoded: str) -> AssetLink:
    """One `assetIds` query value: base64url of a SpecificAssetId JSON object (only name and value matter)."""
    try:
        data = json.loads(decode_id(encoded))
    except (InvalidInput, ValueError, RecursionError):
        raise InvalidInput(BAD_BASE64) from None
    if not isinstance(data, dict):
        raise InvalidInput(BAD_BASE64)
    try:
        return AssetLink.model_validate({"name": data.get("name"), "value": data.get("value")})
    except ValidationError as error:
        raise _problem(error, "assetIds value") from None


# -- callers and visibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryCaller:
    """Who asks: the node's operator (owner) or a partner known by its BPN (from the data-plane call)."""

    owner: bool
    bpn: str | None = None
    did: str | None = None


OWNER = RegistryCaller(owner=True)


def readers(asset_id: SpecificAssetId) -> tuple[str, ...]:
    """Non-owner readers of one specificAssetId: its BPNs, plus PUBLIC_READABLE where that name may be public.

    No externalSubjectId means owner-only: the DTR default is closed."""
    subjects = asset_id.subjects()
    if PUBLIC_READABLE in subjects and asset_id.name not in PUBLIC_READABLE_NAMES:
        return tuple(s for s in subjects if s != PUBLIC_READABLE)
    return subjects


def caller_readers(caller: RegistryCaller) -> tuple[str, ...]:
    """The reader values a non-owner caller matches."""
    return (PUBLIC_READABLE,) if caller.bpn is None else (caller.bpn, PUBLIC_READABLE)


def global_asset_id_readers(asset_ids: Iterable[SpecificAssetId]) -> tuple[str, ...]:
    """Who may find a shell by its globalAssetId: the BPNs that see the whole twin (not public readers, who
    see only id, specificAssetIds and submodelDescriptors)."""
    return tuple(dict.fromkeys([s for a in asset_ids for s in a.subjects() if s != PUBLIC_READABLE]))


def _visible_copy(asset_id: SpecificAssetId, mine: Sequence[str]) -> SpecificAssetId | None:
    shown = [s for s in readers(asset_id) if s in mine]
    if not shown:
        return None
    assert asset_id.externalSubjectId is not None  # readers() is empty without it
    # The key list is cut to the caller's own entries: a partner must not learn who else may read the id.
    keys = [k for k in asset_id.externalSubjectId.keys if k.value in shown]
    return asset_id.model_copy(
        update={"externalSubjectId": asset_id.externalSubjectId.model_copy(update={"keys": keys})}
    )


def view(shell: ShellDescriptor, caller: RegistryCaller) -> ShellDescriptor | None:
    """What `caller` may see of a shell, or None when the shell does not exist for it.

    A BPN named on any specificAssetId sees the whole twin with the ids visible to it; a caller that only
    matches PUBLIC_READABLE sees id, specificAssetIds and submodelDescriptors (Tractus-X DTR classic mode)."""
    if caller.owner:
        return shell
    mine = caller_readers(caller)
    shown = [c for c in (_visible_copy(a, mine) for a in shell.specificAssetIds or ()) if c is not None]
    if not shown:
        return None
    explicit = caller.bpn is not None and any(caller.bpn in a.subjects() for a in shown)
    if explicit:
        return shell.model_copy(update={"specificAssetIds": shown})
    reduced = {"id": shell.id, "specificAssetIds": [dump(a) for a in shown]}
    if shell.submodelDescriptors is not None:
        reduced["submodelDescriptors"] = [dump(s) for s in shell.submodelDescriptors]
    return ShellDescriptor.model_validate(reduced)


# -- Catena-X submodel descriptors pointing at DSP datasets (CX-0002 §4.1.2) --------------------------------


def submodel_descriptor(
    semantic_id: str,
    asset_id: str,
    dsp_endpoint: str,
    dataplane_url: str,
    *,
    submodel_id: str,
    id_short: str | None = None,
) -> SubmodelDescriptor:
    """A SubmodelDescriptor the Tractus-X way: the consumer negotiates dataset `asset_id` at `dsp_endpoint`
    over DSP, then calls `dataplane_url` (the full submodel URL on the provider's data plane, without the
    `/$value` suffix the consumer appends) with the token it received."""
    data: dict[str, Any] = {
        "id": submodel_id,
        "semanticId": {"type": "ExternalReference", "keys": [{"type": "Submodel", "value": semantic_id}]},
        "endpoints": [
            {
                "interface": "SUBMODEL-3.0",
                "protocolInformation": {
                    "href": dataplane_url,
                    "endpointProtocol": "HTTP",
                    "endpointProtocolVersion": ["1.1"],
                    "subprotocol": "DSP",
                    "subprotocolBody": f"id={asset_id};dspEndpoint={dsp_endpoint}",
                    "subprotocolBodyEncoding": "plain",
                    "securityAttributes": [{"type": "NONE", "key": "NONE", "value": "NONE"}],
                },
            }
        ],
    }
    if id_short is not None:
        data["idShort"] = id_short
    return parse_submodel(data)
