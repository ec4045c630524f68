"""What the passport page shows: a PassportDocument laid out in sections, its values formatted for a reader.

The document is already split for the caller (``battrace.passport.records``): this module renders every
value it holds and nothing else; it never decides visibility. ``LAYOUT`` places every catalogue attribute in
exactly one section (a test holds it to that), so no visible value can be silently left off the page.
Values become Markup here, each piece escaped; links are made only of http(s) URLs. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from battrace.passport.attributes import Attribute, BatteryCategory, ValueKind, attribute
from battrace.passport.lifecycle import DynamicValue, StatusEvent
from battrace.passport.records import PassportDocument
from battrace.passport.web import chart, i18n
from battrace.passport.web.i18n import Lang

_METALS = ("nickel", "cobalt", "lithium", "lead")
RECYCLED_KEYS = tuple(f"{kind}_consumer_recycled_{m}_share" for m in _METALS for kind in ("pre", "post"))
STAGE_KEYS = (
    ("carbon_footprint_raw_material_share", "stage.raw"),
    ("carbon_footprint_production_share", "stage.production"),
    ("carbon_footprint_distribution_share", "stage.distribution"),
    ("carbon_footprint_end_of_life_share", "stage.end_of_life"),
)

# section id -> ((table caption text id or None, attribute keys), ...); catalogue attributes only.
LAYOUT: tuple[tuple[str, tuple[tuple[str | None, tuple[str, ...]], ...]], ...] = (
    ("identity", ((None, (
        "battery_passport_identifier", "battery_identifier", "battery_category", "battery_status",
        "manufacturer_identifier", "operator_identifier", "manufacturing_place", "manufacturing_date",
        "putting_into_service_date", "warranty_period", "battery_mass",
    )),)),
    ("carbon", ((None, (
        "carbon_footprint_per_functional_unit", *(key for key, _ in STAGE_KEYS),
        "carbon_footprint_performance_class", "carbon_footprint_label", "carbon_footprint_study_link",
        "carbon_footprint_general_information", "absolute_carbon_footprint",
    )),)),
    ("materials", ((None, (
        "battery_chemistry", "critical_raw_materials", "electrode_electrolyte_materials",
        "hazardous_substances", "impact_of_substances",
    )),)),
    ("recycled", ((None, ("renewable_content_share", *RECYCLED_KEYS)),)),
    ("performance", (
        ("group.capacity", (
            "rated_capacity", "remaining_capacity", "capacity_fade", "certified_usable_energy",
            "remaining_usable_energy", "state_of_certified_energy", "state_of_charge",
            "capacity_threshold_for_exhaustion", "energy_throughput", "capacity_throughput",
        )),
        ("group.voltage", ("minimum_voltage", "nominal_voltage", "maximum_voltage")),
        ("group.power", (
            "original_power_capability", "remaining_power_capability", "power_fade",
            "maximum_permitted_power", "power_energy_ratio",
        )),
        ("group.efficiency", (
            "initial_round_trip_efficiency", "round_trip_efficiency_at_half_cycle_life",
            "remaining_round_trip_efficiency", "round_trip_efficiency_fade", "initial_self_discharge_rate",
            "current_self_discharge_rate", "self_discharge_evolution",
        )),
        ("group.resistance", (
            "initial_internal_resistance", "internal_resistance_increase", "current_ohmic_resistance",
        )),
        ("group.lifetime", (
            "expected_lifetime_years", "expected_lifetime_cycles", "full_cycles", "cycle_life_reference_test",
            "cycle_life_test_c_rate",
        )),
        ("group.temperature", (
            "idle_temperature_lower_boundary", "idle_temperature_upper_boundary", "temperature_information",
            "time_above_temperature_boundary", "time_below_temperature_boundary",
            "charging_time_above_temperature_boundary", "charging_time_below_temperature_boundary",
        )),
        ("group.events", ("deep_discharge_events", "overcharge_events", "accident_information")),
    )),
    ("due_diligence", ((None, ("due_diligence_report", "third_party_assurances", "supply_chain_indices")),)),
    ("circularity", ((None, (
        "dismantling_information", "component_part_numbers", "spare_part_sources", "safety_measures",
        "end_user_waste_prevention", "end_user_separate_collection", "collection_second_life_treatment",
    )),)),
    ("labels", ((None, (
        "separate_collection_symbol", "cadmium_lead_symbols", "meaning_of_labels", "extinguishing_agent",
        "eu_declaration_of_conformity", "compliance_test_reports",
    )),)),
)  # fmt: skip
# Shown by their own widgets (share bar, recycled-content matrix), not as plain rows.
_WIDGET_KEYS = frozenset(RECYCLED_KEYS)


@dataclass(frozen=True)
class Row:
    label: str
    value: Markup
    basis: str  # the Annex XIII point or article the value answers


@dataclass(frozen=True)
class Table:
    caption: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Section:
    ident: str
    title: str
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    label: str
    svg: Markup
    points: tuple[tuple[str, str, str], ...]  # (measured at, value with unit, source)


@dataclass(frozen=True)
class Figure:
    """A chart with the table of its data (the chart is never the only way to read a value)."""

    svg: Markup
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Page:
    passport_id: str
    lang: Lang
    sections: tuple[Section, ...]
    stage_bar: Markup
    stage_legend: tuple[tuple[int, str], ...]  # (segment index, "label 12 %")
    recycled: tuple[tuple[str, str, str], ...]  # (metal, pre-consumer, post-consumer)
    charts: tuple[Chart, ...]
    recycled_figure: Figure | None
    due_diligence_figure: Figure | None
    timeline: tuple[tuple[str, str, str, str], ...]  # (at, event, status change, actor)
    links: tuple[tuple[str, str, str], ...]  # (relation label, passport id, href)
    withheld: tuple[str, ...]  # audiences who may see more, in words
    signed: bool


# -- values ---------------------------------------------------------------------------------------------


def when(moment: datetime) -> str:
    """A timestamp in UTC, minute precision: unambiguous in both languages."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _moment(value: object) -> str:
    """A measurement time given as a datetime or an ISO 8601 string (the service's flat form)."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return when(moment)
    return str(value)


def link(url: str) -> Markup:
    """A link for an http(s) URL with a host; anything else (javascript:, data:, relative) stays text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return Markup(escape(url))
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return Markup('<a href="{0}" rel="noopener noreferrer nofollow">{0}</a>').format(url)
    return Markup(escape(url))


def _list(items: Sequence[Markup]) -> Markup:
    return Markup('<ul class="plain">{}</ul>').format(
        Markup("").join(Markup("<li>{}</li>").format(i) for i in items)
    )


def _number_like(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _quantity(entry: Attribute, value: object, lang: Lang) -> Markup | None:
    """A bare number in the catalogue unit or ``{"value": n, "unit": u}``; None when not a quantity."""
    unit = entry.unit
    if isinstance(value, Mapping) and "value" in value:
        unit = value.get("unit") if isinstance(value.get("unit"), str) else unit
        value = value["value"]
    if _number_like(value):
        assert isinstance(value, int | float)
        return Markup(escape(i18n.quantity(value, unit, lang)))
    return None


def _component(component: object, lang: Lang) -> Markup:
    """One material of a composition (Annex XIII 1(b), 2(a)): name, CAS number, share."""
    if not isinstance(component, Mapping):
        return Markup(escape(str(component)))
    text = str(component.get("name", ""))
    if component.get("cas"):
        text += f" (CAS {component['cas']})"
    share = component.get("share")
    if _number_like(share):
        assert isinstance(share, int | float)
        text += f": {i18n.quantity(share, '%', lang)}"
    return Markup(escape(text))


def _organisation(value: Mapping[object, object]) -> Markup:
    """A company identifier claim ``{type, value}`` with whatever descriptive fields it carries."""
    ident = " ".join(str(value[k]) for k in ("type", "value") if k in value)
    extra = [str(v) for k, v in value.items() if k not in ("type", "value")]
    return Markup(escape(" · ".join([*extra, ident]) if extra else ident))


def _generic(value: object, lang: Lang) -> Markup:
    """Any value of an unexpected shape: shown, escaped, never dropped."""
    if isinstance(value, Mapping):
        return _list([Markup(escape(f"{k}: {v}")) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return _list([_generic(v, lang) for v in value])
    if _number_like(value):
        assert isinstance(value, int | float)
        return Markup(escape(i18n.number(value)))
    return Markup(escape(str(value)))


def render_value(key: str, value: object, lang: Lang) -> Markup:
    """One attribute value as the reader sees it, by the attribute's kind (``ValueKind``)."""
    entry = attribute(key)
    if isinstance(value, DynamicValue):
        value = {"value": value.value, "unit": value.unit or entry.unit, "measured_at": value.measured_at}
    if isinstance(value, Mapping) and "measured_at" in value:
        # The latest value of a dynamic attribute (Annex XIII 4): say when it was measured.
        shown = render_value(key, {k: v for k, v in value.items() if k != "measured_at"}, lang)
        return Markup('{} <span class="measured">({})</span>').format(shown, _moment(value["measured_at"]))
    kind = entry.kind
    if kind in (ValueKind.NUMBER, ValueKind.PERCENTAGE):
        return _quantity(entry, value, lang) or _generic(value, lang)
    if kind is ValueKind.CHOICE and isinstance(value, str):
        return Markup(escape(i18n.choice(value, lang)))
    if kind is ValueKind.PERIOD and isinstance(value, str):
        return Markup(escape(i18n.period(value, lang)))
    if kind is ValueKind.DOCUMENT and isinstance(value, str):
        return link(value)
    if kind is ValueKind.DOCUMENT and isinstance(value, list):
        return _list([link(v) if isinstance(v, str) else _generic(v, lang) for v in value])
    if kind is ValueKind.ORGANISATION and isinstance(value, Mapping):
        return _organisation(value)
    if kind is ValueKind.COMPOSITION:
        components = value.get("components") if isinstance(value, Mapping) else value
        if isinstance(components, list):
            return _list([_component(c, lang) for c in components])
    return _generic(value, lang)


# -- sections -------------------------------------------------------------------------------------------


def _rows(keys: Sequence[str], values: Mapping[str, object], lang: Lang) -> tuple[Row, ...]:
    return tuple(
        Row(i18n.label(key, lang), render_value(key, values[key], lang), attribute(key).annex)
        for key in keys
        if key in values and key not in _WIDGET_KEYS
    )


def _document_rows(doc: PassportDocument, lang: Lang) -> tuple[Row, ...]:
    """Facts of the passport record itself (Art. 77(3)-(4)), shown above the identity attributes."""
    rows = [
        Row(i18n.text("doc.passport_id", lang), Markup(escape(doc.passport_id)), "Art. 77(3)"),
        Row(
            i18n.text("doc.category", lang),
            Markup(escape(i18n.choice(doc.category.value, lang))),
            "Art. 77(1)",
        ),
        Row(i18n.text("doc.operator", lang), Markup(escape(doc.responsible_operator)), "Art. 77(4)"),
        Row(i18n.text("doc.issued", lang), Markup(escape(when(doc.issued_at))), "Art. 77(1)"),
    ]
    if doc.state is not None:
        rows.append(
            Row(
                i18n.text("doc.state", lang),
                Markup(escape(i18n.choice(doc.state.value, lang))),
                "Annex XIII 4(c)",
            )
        )
    return tuple(rows)


def _sections(doc: PassportDocument, lang: Lang) -> tuple[Section, ...]:
    values = doc.view.values
    out = []
    for ident, groups in LAYOUT:
        tables = []
        for caption_id, keys in groups:
            caption = i18n.text(caption_id or f"section.{ident}", lang)
            rows = _rows(keys, values, lang)
            if ident == "identity":
                rows = _document_rows(doc, lang) + rows
            if rows:
                tables.append(Table(caption, rows))
        out.append(Section(ident, i18n.text(f"section.{ident}", lang), tuple(tables)))
    return tuple(out)


def _plain_number(value: object) -> float | None:
    if isinstance(value, DynamicValue):
        value = value.value
    if isinstance(value, Mapping):
        value = value.get("value")
    return float(value) if _number_like(value) else None  # type: ignore[arg-type]


def _stages(values: Mapping[str, object], lang: Lang) -> tuple[Markup, tuple[tuple[int, str], ...]]:
    """Art. 7(1)(e): the share of each life-cycle stage in the carbon footprint, as a bar and a legend."""
    parts = []
    for key, text_id in STAGE_KEYS:
        share = _plain_number(values.get(key))
        if share is not None:
            parts.append((i18n.text(text_id, lang), share))
    bar = chart.share_bar(parts, title=i18n.text("stages", lang))
    legend = tuple(
        (index % chart.SEGMENTS, f"{name} {i18n.quantity(share, '%', lang)}")
        for index, (name, share) in enumerate(parts)
    )
    return bar, legend


def _recycled(values: Mapping[str, object], lang: Lang) -> tuple[tuple[str, str, str], ...]:
    """Art. 8(1): pre- and post-consumer recycled shares per metal; a dash where one is not given."""
    rows = []
    for metal in _METALS:
        pre = values.get(f"pre_consumer_recycled_{metal}_share")
        post = values.get(f"post_consumer_recycled_{metal}_share")
        if pre is None and post is None:
            continue
        cells = [
            "–" if v is None else str(render_value(f"{k}_consumer_recycled_{metal}_share", v, lang))
            for k, v in (("pre", pre), ("post", post))
        ]
        rows.append((i18n.text(f"metal.{metal}", lang), cells[0], cells[1]))
    return tuple(rows)


def soh_keys(category: BatteryCategory, series: Mapping[str, object]) -> tuple[str, ...]:
    """The series to chart: the state-of-health measure of the category first (EV: state of certified
    energy, Annex VII Part A; other categories: remaining capacity, Annex VII Part A(1)), then every other
    series present in catalogue order."""
    primary = "state_of_certified_energy" if category is BatteryCategory.EV else "remaining_capacity"
    others = [key for key, _ in LAYOUT_ORDER if key in series and key != primary]
    return ((primary,) if primary in series else ()) + tuple(others)


def _charts(doc: PassportDocument, lang: Lang) -> tuple[Chart, ...]:
    out = []
    for key in soh_keys(doc.category, doc.series):
        measured = [m for m in doc.series[key] if _number_like(m.value)]
        if not measured:
            continue
        entry, label = attribute(key), i18n.label(key, lang)
        unit = i18n.unit(measured[-1].unit or entry.unit or "", lang)
        latest = i18n.quantity(float(measured[-1].value), measured[-1].unit or entry.unit, lang)
        summary = (
            f"{label}: {len(measured)} {i18n.text('chart.points', lang)}, {when(measured[0].measured_at)} – "
            f"{when(measured[-1].measured_at)}; {i18n.text('chart.latest', lang)} {latest}"
        )
        points = [(m.measured_at, float(m.value)) for m in measured]
        svg = chart.line_chart(
            points,
            ident=f"chart-{key}",
            title=label,
            unit=unit,
            # A 0-100 axis only for a share; an increase in % (resistance) may pass 100 and is scaled to fit.
            percent=entry.kind is ValueKind.PERCENTAGE,
            summary=summary,
        )
        rows = tuple(
            (when(m.measured_at), i18n.quantity(float(m.value), m.unit or entry.unit, lang), m.source)
            for m in measured
        )
        out.append(Chart(key, label, svg, rows))
    return tuple(out)


# Art. 8(2) (from 18 August 2031) and Art. 8(3) (from 18 August 2036): minimum shares of cobalt, lead,
# lithium and nickel recovered from manufacturing (pre-consumer) or post-consumer waste, in percent. Whether
# they bind a given battery depends on its category and capacity; the chart shows them as reference lines.
ART8_TARGETS: Mapping[str, tuple[float, float]] = {
    "nickel": (6, 15),
    "cobalt": (16, 26),
    "lithium": (6, 12),
    "lead": (85, 85),
}


# The Art. 8 metals a battery chemistry (Annex VI Part A(7), free text) names: the element, its symbol or a
# cathode abbreviation that contains it (NMC/NCM/NCA nickel-cobalt, LCO cobalt, LFP/LMO/LTO lithium...).
_CHEMISTRY_METALS: Mapping[str, re.Pattern[str]] = {
    "nickel": re.compile(r"nickel|\bni\b|\b(?:nmc|ncm|nca|lnmo|nimh|nicd|nizn|lini)", re.I),
    "cobalt": re.compile(r"cobalt(?!-free)|\bco\b|\b(?:nmc|ncm|nca|lco|licoo)", re.I),
    "lithium": re.compile(
        r"lithium|\bli(?:\b|-?ion|-?po|fe|pf|co|mn|ni|ti)|\b(?:lfp|lmfp|lco|lmo|lto|lnmo|nmc|ncm|nca)", re.I
    ),
    "lead": re.compile(r"\blead\b|\bpb\b|\bpba\b", re.I),
}


def chemistry_metals(chemistry: object) -> frozenset[str] | None:
    """The Art. 8 metals ``chemistry`` names; None when it is not a text or names none of them (we cannot
    tell, so nothing is ruled out)."""
    if not isinstance(chemistry, str):
        return None
    found = frozenset(metal for metal, pattern in _CHEMISTRY_METALS.items() if pattern.search(chemistry))
    return found or None


def _percent_text(value: float | None, lang: Lang) -> str:
    return "–" if value is None else i18n.quantity(value, "%", lang)


def recycled_figure(values: Mapping[str, object], lang: Lang) -> Figure | None:
    """Art. 8(1) recycled content per metal (pre- plus post-consumer) against the Art. 8(2)/(3) targets.

    Built only from ``values``, the caller's view: a share the caller may not see is not drawn. A metal is
    drawn where the battery's chemistry names it or a share above zero is declared: the longlist asks every
    passport for all eight shares, so a lithium-ion battery declares 0 % recycled lead, yet the 85 % lead
    target (Art. 8(2), on the lead present in the battery) is not its target. The table of declared values
    (``Page.recycled``) keeps every row.
    """
    rows, table = [], []
    first, second = i18n.text("target.2031", lang), i18n.text("target.2036", lang)
    contained = chemistry_metals(values.get("battery_chemistry"))
    for metal in _METALS:
        pre = _plain_number(values.get(f"pre_consumer_recycled_{metal}_share"))
        post = _plain_number(values.get(f"post_consumer_recycled_{metal}_share"))
        if pre is None and post is None:
            continue
        if contained is not None and metal not in contained and not (pre or post):
            continue
        name = i18n.text(f"metal.{metal}", lang)
        low, high = ART8_TARGETS[metal]
        rows.append((name, pre, post, ((first, low), (second, high))))
        total = (pre or 0.0) + (post or 0.0)
        table.append(
            (
                name,
                _percent_text(pre, lang),
                _percent_text(post, lang),
                _percent_text(total, lang),
                _percent_text(low, lang),
                _percent_text(high, lang),
            )
        )
    if not rows:
        return None
    title = i18n.text("chart.recycled", lang)
    summary = "; ".join(
        f"{name} {total} ({first} {low}, {second} {high})" for name, _, _, total, low, high in table
    )
    svg = chart.target_bars(
        rows,
        ident="chart-recycled",
        title=title,
        summary=f"{title}: {summary}",
        part_names=(i18n.text("col.pre", lang), i18n.text("col.post", lang)),
    )
    head = (
        *(i18n.text(key, lang) for key in ("col.metal", "col.pre", "col.post", "col.total")),
        first,
        second,
    )
    return Figure(svg, head, tuple(table))


# The lines of ``supply_chain_indices`` that carry a share per mineral, as
# battrace.apps.duediligence.passport.indices_text writes them (a test holds the two together), and the
# text id of each series. Another issuer's wording simply gives no chart: the text row stays.
DD_SERIES: tuple[tuple[str, str], ...] = (
    ("Smelter coverage (RMI id known): ", "dd.coverage"),
    ("Smelters with a conformant audit status: ", "dd.conformant"),
    ("Smelters with 100 % recycled feedstock: ", "dd.recycled"),
)
_MINERALS = (
    "cobalt", "lithium", "nickel", "natural graphite", "tin", "tantalum", "tungsten", "gold",
)  # fmt: skip


def _shares(line: str) -> dict[str, float | None] | None:
    """``"cobalt 80 %, natural graphite n/a"`` as {mineral: percent or None}; None if it does not parse."""
    out: dict[str, float | None] = {}
    for item in line.split(", "):
        name, _, value = item.strip().rpartition(" ")
        if value == "%":
            name, _, value = name.rpartition(" ")
            if not value.isdigit():
                return None
            share: float | None = float(value)
        elif value == "n/a":
            share = None
        else:
            return None
        if name not in _MINERALS:
            return None
        out[name] = share
    return out or None


def parse_indices(text: str) -> dict[str, dict[str, float | None]]:
    """Series id -> {mineral: percent or None} from a ``supply_chain_indices`` text."""
    found: dict[str, dict[str, float | None]] = {}
    for line in text.splitlines():
        for prefix, series in DD_SERIES:
            if line.startswith(prefix):
                shares = _shares(line[len(prefix) :])
                if shares is not None:
                    found[series] = shares
    return found


def due_diligence_figure(values: Mapping[str, object], lang: Lang) -> Figure | None:
    """The due-diligence summary (``supply_chain_indices``) as bars per mineral, when the caller sees it."""
    text = values.get("supply_chain_indices")
    parsed = parse_indices(text) if isinstance(text, str) else {}
    if not parsed:
        return None
    minerals = [m for m in _MINERALS if any(m in shares for shares in parsed.values())]
    names = [i18n.text(f"mineral.{m}", lang) for m in minerals]
    series = [
        (i18n.text(ident, lang), [parsed[ident].get(m) for m in minerals])
        for _, ident in DD_SERIES
        if ident in parsed
    ]
    missing = i18n.text("dd.none", lang)
    table = tuple(
        (
            name,
            *(
                _percent_text(values_[i], lang) if values_[i] is not None else missing
                for _, values_ in series
            ),
        )
        for i, name in enumerate(names)
    )
    title = i18n.text("chart.due_diligence", lang)
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{label} {cell}" for (label, _), cell in zip(series, row[1:], strict=True))
        for name, row in zip(names, table, strict=True)
    )
    svg = chart.coverage_bars(
        names,
        series,
        ident="chart-due-diligence",
        title=title,
        summary=f"{title}: {summary}",
        missing=missing,
    )
    head = (i18n.text("col.mineral", lang), *(label for label, _ in series))
    return Figure(svg, head, table)


def _timeline(events: Sequence[StatusEvent], lang: Lang) -> tuple[tuple[str, str, str, str], ...]:
    return tuple(
        (
            when(e.at),
            i18n.choice(e.event.value, lang),
            (f"{i18n.choice(e.before.value, lang)} → " if e.before is not None else "")
            + i18n.choice(e.after.value, lang),
            e.actor,
        )
        for e in events
    )


def passport_href(passport_id: str, lang: Lang) -> str:
    return f"/passport/{quote(passport_id, safe=':@')}?lang={lang}"


def _links(doc: PassportDocument, lang: Lang) -> tuple[tuple[str, str, str], ...]:
    """Art. 77(7): a repurposed or remanufactured battery's passport links to its predecessor and back."""
    links = []
    if doc.predecessor:
        links.append(
            (i18n.text("link.predecessor", lang), doc.predecessor, passport_href(doc.predecessor, lang))
        )
    if doc.successor:
        links.append((i18n.text("link.successor", lang), doc.successor, passport_href(doc.successor, lang)))
    return tuple(links)


def build_page(doc: PassportDocument, lang: Lang) -> Page:
    """Everything the template shows for ``doc``, in ``lang``."""
    bar, legend = _stages(doc.view.values, lang)
    return Page(
        passport_id=doc.passport_id,
        lang=lang,
        sections=_sections(doc, lang),
        stage_bar=bar,
        stage_legend=legend,
        recycled=_recycled(doc.view.values, lang),
        charts=_charts(doc, lang),
        recycled_figure=recycled_figure(doc.view.values, lang),
        due_diligence_figure=due_diligence_figure(doc.view.values, lang),
        timeline=_timeline(doc.timeline, lang),
        links=_links(doc, lang),
        withheld=tuple(i18n.audience_of_level(level, lang) for level in doc.view.withheld),
        signed=doc.signature is not None,
    )


# Every laid-out attribute in page order, with its section id (used for ordering the charts).
LAYOUT_ORDER: tuple[tuple[str, str], ...] = tuple(
    (key, ident) for ident, groups in LAYOUT for _, keys in groups for key in keys
)
