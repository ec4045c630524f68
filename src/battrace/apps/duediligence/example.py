"""The shipped example: a three-tier battery supply chain with made-up companies and smelter ids.

    tier 0  CellCo (cell maker, root)        cobalt, lithium, nickel, natural graphite; own smelter S3
              ├─ tier 1  CathodeCo           cobalt, lithium, nickel; smelters S2, S3
              │     ├─ tier 2  CobaltTrader  cobalt; smelters S1, S2; Mine List: Mutoshi (CD) -> S1
              │     └─ tier 2  LithiumChem   lithium; smelters S4, S5
              └─ tier 1  AnodeCo             natural graphite; smelter S6
                    └─ tier 2  GraphiteTrader  asked, never answered (no declaration)

    smelter  mineral           country  RMI id     mine countries  on the conformant list
    S1       cobalt            CD       CID900001  CD              no ("Active", not "Conformant")
    S2       cobalt            CN       CID900002  AU              yes
    S3       nickel            FI       CID900003  FI              yes
    S4       lithium           AU       CID900004  AU              yes
    S5       lithium           CL       (none)     CL              - (no id); feedstock 100 % recycled
    S6       natural graphite  CN       CID900006  TZ              no (not listed)

    question 4 (CAHRA)   CellCo   CathodeCo  CobaltTrader  LithiumChem  AnodeCo
    cobalt               No       No         Yes           -            -
    lithium              No       No         -             No           -
    nickel               No       Unknown    -             -            -
    natural graphite     No       -          -             -            No

The expected results are worked out by hand in tests/apps/duediligence/test_example.py; `battrace demo`
plays the same chain between real nodes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from battrace.apps.duediligence.model import Declaration, Mineral
from battrace.apps.duediligence.rollup import Node

CELLCO = "did:web:cellco.example"
CATHODECO = "did:web:cathodeco.example"
ANODECO = "did:web:anodeco.example"
COBALT_TRADER = "did:web:cobalt-trader.example"
LITHIUM_CHEM = "did:web:lithium-chem.example"
GRAPHITE_TRADER = "did:web:graphite-trader.example"

CONFORMANT_CSV = """Smelter ID,Smelter Name,Audit Status
CID900001,Kolwezi Cobalt Refinery,Active
CID900002,Jinchuan Cobalt,Conformant
CID900003,Harjavalta Nickel,Conformant
CID900004,Kwinana Lithium,Conformant
"""

SMELTERS: dict[str, dict[str, Any]] = {
    "S1": {"mineral": "cobalt", "name": "Kolwezi Cobalt Refinery", "country": "CD", "smelter_id": "CID900001",
           "id_source": "RMI", "mine_names": ["Mutoshi"], "mine_countries": ["CD"], "all_recycled": "No"},
    "S2": {"mineral": "cobalt", "name": "Jinchuan Cobalt", "country": "CN", "smelter_id": "CID900002",
           "mine_names": ["Murrin Murrin"], "mine_countries": ["AU"], "all_recycled": "No"},
    "S3": {"mineral": "nickel", "name": "Harjavalta Nickel", "country": "FI", "smelter_id": "CID900003",
           "mine_countries": ["FI"], "all_recycled": "No"},
    "S4": {"mineral": "lithium", "name": "Kwinana Lithium", "country": "AU", "smelter_id": "CID900004",
           "mine_names": ["Greenbushes"], "mine_countries": ["AU"]},
    "S5": {"mineral": "lithium", "name": "Unnamed lithium converter", "country": "CL",
           "mine_countries": ["CL"], "all_recycled": "Yes",
           "next_steps": "ask the supplier for the converter's RMI id"},
    "S6": {"mineral": "natural graphite", "name": "Heilongjiang Graphite", "country": "CN",
           "smelter_id": "CID900006", "mine_countries": ["TZ"]},
}  # fmt: skip


def _company(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "declaration_scope": "A. Company",
        "contact_name": "Sam Supplier",
        "contact_email": "dd@example.com",
        "authorizer_name": "Alex Director",
        "effective_date": date(2026, 3, 31),
    }


def answers(mineral: Mineral, cahra: str = "No", identified: str = "Yes") -> dict[str, Any]:
    return {
        "mineral": mineral,
        "intentionally_added": "Yes",
        "remains_in_product": "Yes",
        "covered_countries": "Yes" if cahra == "Yes" else "No",
        "cahra": cahra,
        "all_recycled": "No",
        "suppliers_responded": "100%",
        "all_smelters_identified": identified,
        "all_smelter_info_reported": "Yes",
    }


COMPANY_ANSWERS: dict[str, Any] = {
    "policy": "Yes",
    "policy_public": "Yes",
    "policy_url": "https://cellco.example/policy",
    "requires_validated_smelters": "Yes",
    "dd_measures": "Yes",
    "supplier_survey": "Yes",
    "reviews_supplier_info": "Yes",
    "corrective_action": "No",
    "sec_filer": "No",
}


def declaration(name: str, minerals: list[dict[str, Any]], smelters: list[str], **extra: Any) -> Declaration:
    return Declaration.model_validate(
        {
            "template": "EMRT",
            "template_version": "2.1",
            "company": _company(name),
            "minerals": minerals,
            "company_answers": COMPANY_ANSWERS,
            "smelters": [SMELTERS[s] for s in smelters],
            **extra,
        }
    )


def cellco() -> Declaration:
    return declaration(
        "CellCo",
        [
            answers("cobalt"),
            answers("lithium", identified="No"),
            answers("nickel"),
            answers("natural graphite"),
        ],
        ["S3"],
        programme={
            "grievance_mechanism": "Yes",
            "risk_management_plan": "Yes",
            "report_url": "https://cellco.example/dd-report-2026.pdf",
        },
        products=[{"number": "CC-21700-50E", "name": "21700 cell"}],
    )


def chain() -> dict[str, Node]:
    cobalt_trader = declaration(
        "CobaltTrader",
        [answers("cobalt", cahra="Yes")],
        ["S1", "S2"],
        mines=[{"mineral": "cobalt", "name": "Mutoshi", "country": "CD", "smelter_id": "CID900001"}],
    )
    nodes = [
        Node(CELLCO, cellco(), (CATHODECO, ANODECO)),
        Node(
            CATHODECO,
            declaration(
                "CathodeCo",
                [answers("cobalt"), answers("lithium"), answers("nickel", cahra="Unknown")],
                ["S2", "S3"],
            ),
            (COBALT_TRADER, LITHIUM_CHEM),
        ),
        Node(COBALT_TRADER, cobalt_trader),
        Node(LITHIUM_CHEM, declaration("LithiumChem", [answers("lithium")], ["S4", "S5"])),
        Node(ANODECO, declaration("AnodeCo", [answers("natural graphite")], ["S6"]), (GRAPHITE_TRADER,)),
        Node(GRAPHITE_TRADER, None),
    ]
    return {node.company: node for node in nodes}
