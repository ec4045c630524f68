"""Due-diligence values for the battery passport (battery-passport.md §2.9; catalogue in
battrace.passport.attributes):

* ``due_diligence_report`` (Annex XIII 1(d) -> Art. 52(3), public, mandatory): the link to the public report;
* ``third_party_assurances`` (voluntary, Art. 49(d), 53): the public third-party verifications and audits;
* ``supply_chain_indices`` (voluntary): the summary of the report's responsible-sourcing information that
  battrace computes: response rate, smelter coverage, conformant and recycled shares, CAHRA exposure and
  OECD steps met.

Every value is checked with ``battrace.passport.checks.check_value`` before it is handed out, so what this
module returns is what the passport service accepts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from battrace.apps.duediligence.evidence import Access, EvidenceRef
from battrace.apps.duediligence.metrics import Results
from battrace.apps.duediligence.model import Mineral
from battrace.errors import InvalidInput
from battrace.passport.checks import check_value

_ASSURANCE_KINDS = ("third_party_verification", "audit_report")


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{round(share * 100)} %"


def _per_mineral(values: Mapping[Mineral, float | None]) -> str:
    return ", ".join(f"{mineral} {_percent(share)}" for mineral, share in values.items())


def indices_text(results: Results) -> str:
    """One line per index; the wording is ours (no standard names these indices yet, DIN 6.4.4 is open)."""
    exposure = ", ".join(f"{m} {e.answer.lower()}" for m, e in results.exposure.items())
    met = sum(step.status == "met" for step in results.steps)
    return "\n".join(
        (
            f"Supplier response rate: {_percent(results.response_rate)}",
            f"Smelter coverage (RMI id known): {_per_mineral(results.coverage)}",
            f"Smelters with a conformant audit status: {_per_mineral(results.conformant)}",
            f"Smelters with 100 % recycled feedstock: {_per_mineral(results.recycled)}",
            f"CAHRA exposure: {exposure}",
            f"OECD due diligence steps met: {met} of {len(results.steps)}",
        )
    )


def _report_link(report: EvidenceRef) -> str:
    if report.kind != "due_diligence_report":
        raise InvalidInput(f"{report.title!r} is a {report.kind}, not a due diligence report")
    # Annex XIII 1(d) information is public (Art. 77(2)): a report readers may not open cannot go in.
    if report.access is not Access.PUBLIC:
        raise InvalidInput(
            f"the due diligence report {report.title!r} must be public, it is {report.access.value}"
        )
    if not report.uri:
        raise InvalidInput(f"the due diligence report {report.title!r} has no link for the passport")
    return report.uri


def passport_values(
    report: EvidenceRef, results: Results, evidence: Sequence[EvidenceRef] = ()
) -> dict[str, object]:
    """The passport's due-diligence attributes; ``third_party_assurances`` only when there is a public one."""
    values: dict[str, object] = {
        "due_diligence_report": _report_link(report),
        "supply_chain_indices": indices_text(results),
    }
    assurances = [
        f"{ref.title} (SHA-256 {ref.sha256}{', ' + ref.uri if ref.uri else ''})"
        for ref in evidence
        if ref.kind in _ASSURANCE_KINDS and ref.access is Access.PUBLIC
    ]
    if assurances:
        values["third_party_assurances"] = assurances
    for key, value in values.items():
        check_value(key, value)
    return values
