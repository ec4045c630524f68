"""Labels of the passport viewer in English and Japanese, language choice and locale-aware formatting.

English attribute labels are the catalogue names (``battrace.passport.attributes``), so the two never drift;
the Japanese ones are written here (our own translation, not an official text: the Regulation has no
Japanese version). Pure module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from battrace.passport.attributes import attribute

Lang = Literal["en", "ja"]
LANGUAGES: tuple[Lang, ...] = ("en", "ja")
DEFAULT_LANG: Lang = "en"
_CODES: Mapping[str, Lang] = MappingProxyType({"en": "en", "ja": "ja"})

_JA_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "battery_passport_identifier": "電池パスポート識別子",
        "battery_identifier": "電池識別子",
        "operator_identifier": "事業者の識別子と情報",
        "manufacturer_identifier": "製造者の識別子と情報",
        "manufacturing_place": "製造場所",
        "manufacturing_date": "製造年月日",
        "putting_into_service_date": "使用開始日",
        "warranty_period": "電池の保証期間",
        "battery_category": "電池の区分",
        "battery_mass": "電池の質量",
        "battery_status": "電池の状態",
        "separate_collection_symbol": "分別回収マーク",
        "cadmium_lead_symbols": "カドミウム・鉛の表示記号",
        "carbon_footprint_label": "カーボンフットプリントラベル",
        "extinguishing_agent": "消火剤",
        "meaning_of_labels": "ラベルと記号の意味",
        "eu_declaration_of_conformity": "EU適合宣言",
        "compliance_test_reports": "適合性を証明する試験報告書の結果",
        "carbon_footprint_per_functional_unit": "機能単位あたりの電池カーボンフットプリント",
        "carbon_footprint_raw_material_share": "原材料の取得と前処理の寄与",
        "carbon_footprint_production_share": "主要製品の生産段階の寄与",
        "carbon_footprint_distribution_share": "流通段階の寄与",
        "carbon_footprint_end_of_life_share": "使用済み・リサイクル段階の寄与",
        "carbon_footprint_performance_class": "カーボンフットプリント性能クラス",
        "carbon_footprint_study_link": "公開カーボンフットプリント調査へのリンク",
        "carbon_footprint_general_information": "カーボンフットプリントに関する電池と製造者の一般情報",
        "absolute_carbon_footprint": "電池カーボンフットプリントの絶対値",
        "due_diligence_report": "デューデリジェンス報告書の情報",
        "third_party_assurances": "認定スキームによる第三者保証",
        "supply_chain_indices": "サプライチェーン指標",
        "battery_chemistry": "電池の化学組成",
        "critical_raw_materials": "重要原材料",
        "electrode_electrolyte_materials": "正極・負極・電解質に使用される材料",
        "hazardous_substances": "有害物質",
        "impact_of_substances": "物質が環境・人の健康・安全に及ぼす影響",
        "dismantling_information": "解体情報",
        "component_part_numbers": "構成部品の部品番号",
        "spare_part_sources": "交換部品の入手先情報",
        "safety_measures": "安全対策",
        "pre_consumer_recycled_nickel_share": "プレコンシューマー再生ニッケルの割合",
        "pre_consumer_recycled_cobalt_share": "プレコンシューマー再生コバルトの割合",
        "pre_consumer_recycled_lithium_share": "プレコンシューマー再生リチウムの割合",
        "pre_consumer_recycled_lead_share": "プレコンシューマー再生鉛の割合",
        "post_consumer_recycled_nickel_share": "ポストコンシューマー再生ニッケルの割合",
        "post_consumer_recycled_cobalt_share": "ポストコンシューマー再生コバルトの割合",
        "post_consumer_recycled_lithium_share": "ポストコンシューマー再生リチウムの割合",
        "post_consumer_recycled_lead_share": "ポストコンシューマー再生鉛の割合",
        "renewable_content_share": "再生可能資源の含有率",
        "end_user_waste_prevention": "廃棄物発生抑制におけるエンドユーザーの役割",
        "end_user_separate_collection": "使用済み電池の分別回収におけるエンドユーザーの役割",
        "collection_second_life_treatment": "回収、二次利用の準備、使用済み処理",
        "rated_capacity": "定格容量",
        "remaining_capacity": "残存容量",
        "capacity_fade": "容量劣化",
        "certified_usable_energy": "認証済み使用可能エネルギー",
        "remaining_usable_energy": "残存使用可能エネルギー",
        "state_of_certified_energy": "認証エネルギー状態 (SOCE)",
        "state_of_charge": "充電状態",
        "minimum_voltage": "最低電圧",
        "maximum_voltage": "最高電圧",
        "nominal_voltage": "公称電圧",
        "original_power_capability": "充電状態80 %と20 %における初期出力性能",
        "remaining_power_capability": "残存出力性能",
        "power_fade": "出力劣化",
        "maximum_permitted_power": "最大許容電池出力",
        "power_energy_ratio": "公称電池出力と電池エネルギーの比",
        "initial_round_trip_efficiency": "初期往復エネルギー効率",
        "round_trip_efficiency_at_half_cycle_life": "サイクル寿命50 %時点の往復エネルギー効率",
        "remaining_round_trip_efficiency": "残存往復エネルギー効率",
        "round_trip_efficiency_fade": "往復エネルギー効率の低下",
        "initial_self_discharge_rate": "初期自己放電率",
        "current_self_discharge_rate": "現在の自己放電率",
        "self_discharge_evolution": "自己放電率の推移",
        "initial_internal_resistance": "セルとパックの初期内部抵抗",
        "internal_resistance_increase": "パックの内部抵抗の増加",
        "current_ohmic_resistance": "パックの現在のオーム抵抗",
        "expected_lifetime_years": "期待寿命(暦年)",
        "expected_lifetime_cycles": "期待寿命(充放電サイクル数)",
        "full_cycles": "完全充放電サイクル数",
        "cycle_life_reference_test": "サイクル寿命の基準試験",
        "cycle_life_test_c_rate": "サイクル寿命試験のCレート",
        "energy_throughput": "エネルギースループット",
        "capacity_throughput": "容量スループット",
        "capacity_threshold_for_exhaustion": "寿命到達の容量しきい値",
        "temperature_information": "温度情報",
        "idle_temperature_lower_boundary": "休止時の温度範囲(下限)",
        "idle_temperature_upper_boundary": "休止時の温度範囲(上限)",
        "time_above_temperature_boundary": "上限を超える極端な温度での経過時間",
        "time_below_temperature_boundary": "下限を下回る極端な温度での経過時間",
        "charging_time_above_temperature_boundary": "上限を超える極端な温度での充電時間",
        "charging_time_below_temperature_boundary": "下限を下回る極端な温度での充電時間",
        "deep_discharge_events": "深放電の発生回数",
        "overcharge_events": "過充電の発生回数",
        "accident_information": "事故に関する情報",
    }
)

# Everything on the page that is not an attribute label. Keys are stable ids used by the templates.
_TEXT: Mapping[str, Mapping[Lang, str]] = MappingProxyType(
    {
        "title": {"en": "Battery passport", "ja": "電池パスポート"},
        "regulation": {
            "en": "Regulation (EU) 2023/1542, Article 77 and Annex XIII",
            "ja": "規則(EU)2023/1542 第77条・附属書XIII",
        },
        "section.identity": {"en": "Identity and status", "ja": "識別情報と状態"},
        "section.labels": {"en": "Labels and conformity", "ja": "ラベルと適合性"},
        "section.carbon": {"en": "Carbon footprint", "ja": "カーボンフットプリント"},
        "section.materials": {"en": "Materials and hazardous substances", "ja": "材料と有害物質"},
        "section.recycled": {"en": "Recycled and renewable content", "ja": "再生材と再生可能資源の含有率"},
        "section.performance": {"en": "Performance and durability", "ja": "性能と耐久性"},
        "section.soh": {"en": "State of health", "ja": "劣化状態(SOH)"},
        "section.due_diligence": {
            "en": "Supply-chain due diligence",
            "ja": "サプライチェーン・デューデリジェンス",
        },
        "section.circularity": {"en": "Circularity and end of life", "ja": "循環性と使用済み段階"},
        "section.history": {"en": "Status history", "ja": "状態の履歴"},
        "section.links": {"en": "Linked passports", "ja": "関連するパスポート"},
        "group.capacity": {"en": "Capacity and energy", "ja": "容量とエネルギー"},
        "group.voltage": {"en": "Voltage", "ja": "電圧"},
        "group.power": {"en": "Power", "ja": "出力"},
        "group.efficiency": {"en": "Efficiency and self-discharge", "ja": "効率と自己放電"},
        "group.resistance": {"en": "Internal resistance", "ja": "内部抵抗"},
        "group.lifetime": {"en": "Lifetime", "ja": "寿命"},
        "group.temperature": {"en": "Temperature", "ja": "温度"},
        "group.events": {"en": "Negative events", "ja": "異常事象"},
        "col.attribute": {"en": "Attribute", "ja": "項目"},
        "col.value": {"en": "Value", "ja": "値"},
        "col.annex": {"en": "Legal basis", "ja": "根拠"},
        "col.metal": {"en": "Metal", "ja": "金属"},
        "col.pre": {"en": "Pre-consumer", "ja": "プレコンシューマー"},
        "col.post": {"en": "Post-consumer", "ja": "ポストコンシューマー"},
        "col.name": {"en": "Substance", "ja": "物質"},
        "col.cas": {"en": "CAS number", "ja": "CAS番号"},
        "col.share": {"en": "Share", "ja": "割合"},
        "col.date": {"en": "Date", "ja": "日時"},
        "col.event": {"en": "Event", "ja": "イベント"},
        "col.status": {"en": "Status", "ja": "状態"},
        "col.actor": {"en": "By", "ja": "実施者"},
        "col.measured": {"en": "Measured at", "ja": "測定日時"},
        "col.source": {"en": "Source", "ja": "測定元"},
        "metal.nickel": {"en": "Nickel", "ja": "ニッケル"},
        "metal.cobalt": {"en": "Cobalt", "ja": "コバルト"},
        "metal.lithium": {"en": "Lithium", "ja": "リチウム"},
        "metal.lead": {"en": "Lead", "ja": "鉛"},
        "mineral.cobalt": {"en": "Cobalt", "ja": "コバルト"},
        "mineral.lithium": {"en": "Lithium", "ja": "リチウム"},
        "mineral.nickel": {"en": "Nickel", "ja": "ニッケル"},
        "mineral.natural graphite": {"en": "Natural graphite", "ja": "天然黒鉛"},
        "mineral.tin": {"en": "Tin", "ja": "スズ"},
        "mineral.tantalum": {"en": "Tantalum", "ja": "タンタル"},
        "mineral.tungsten": {"en": "Tungsten", "ja": "タングステン"},
        "mineral.gold": {"en": "Gold", "ja": "金"},
        "col.total": {"en": "Total recycled", "ja": "再生材合計"},
        "col.mineral": {"en": "Mineral", "ja": "鉱物"},
        "target.2031": {"en": "Target from 2031 (Art. 8(2))", "ja": "2031年からの目標(第8条2項)"},
        "target.2036": {"en": "Target from 2036 (Art. 8(3))", "ja": "2036年からの目標(第8条3項)"},
        "chart.recycled": {
            "en": "Recycled content against the Article 8 targets",
            "ja": "再生材含有率と第8条の目標",
        },
        "chart.due_diligence": {
            "en": "Due-diligence coverage by mineral",
            "ja": "鉱物別のデューデリジェンス対象範囲",
        },
        "dd.coverage": {"en": "Smelters identified (RMI id)", "ja": "特定済み製錬所(RMI ID)"},
        "dd.conformant": {"en": "Smelters conformant", "ja": "適合製錬所"},
        "dd.recycled": {"en": "Smelters 100 % recycled feedstock", "ja": "原料100 %再生材の製錬所"},
        "dd.none": {"en": "n/a (no smelter)", "ja": "該当なし(製錬所なし)"},
        "doc.passport_id": {"en": "Passport", "ja": "パスポート"},
        "doc.category": {"en": "Category", "ja": "区分"},
        "doc.operator": {"en": "Responsible economic operator", "ja": "責任を負う経済事業者"},
        "doc.issued": {"en": "Issued", "ja": "発行日時"},
        "doc.state": {"en": "Current status", "ja": "現在の状態"},
        "doc.signed": {
            "en": "Signed by the issuer (detached JWS)",
            "ja": "発行者による署名付き(分離JWS)",
        },
        "stages": {"en": "Life-cycle stage shares", "ja": "ライフサイクル段階別の割合"},
        "stage.raw": {"en": "Raw materials", "ja": "原材料"},
        "stage.production": {"en": "Production", "ja": "生産"},
        "stage.distribution": {"en": "Distribution", "ja": "流通"},
        "stage.end_of_life": {"en": "End of life", "ja": "使用済み"},
        "link.predecessor": {"en": "Previous life of this battery", "ja": "この電池の以前のパスポート"},
        "link.successor": {"en": "Superseded by", "ja": "後継のパスポート"},
        "chart.latest": {"en": "latest", "ja": "最新値"},
        "chart.points": {"en": "measurements", "ja": "測定値"},
        "chart.data": {"en": "Data points", "ja": "データ"},
        "more.prefix": {
            "en": "More data of this passport is available to:",
            "ja": "このパスポートには、次の閲覧者向けの追加データがあります:",
        },
        "more.login": {"en": "Log in to see it", "ja": "ログインして表示"},
        "more.other": {
            "en": "Your login does not cover these readers.",
            "ja": "現在のログインではこれらのデータは表示されません。",
        },
        "skip": {"en": "Skip to content", "ja": "本文へ移動"},
        "nav.tools": {"en": "Page tools", "ja": "ページ操作"},
        "nav.sections": {"en": "Sections", "ja": "目次"},
        "public_view": {"en": "Public view", "ja": "一般公開の情報"},
        "signed_in_as": {"en": "Signed in as", "ja": "ログイン中:"},
        "login.title": {"en": "Log in to see more", "ja": "ログインして詳細を表示"},
        "login.help": {
            "en": "Paste the bearer token your own node issued to you. It is checked once and not stored; "
            "a signed session cookie is kept for 15 minutes.",
            "ja": "自社ノードが発行したベアラートークンを貼り付けてください。"
            "トークンは一度だけ検証され保存されません。署名付きセッションCookieが15分間保持されます。",
        },
        "login.token": {"en": "Token", "ja": "トークン"},
        "login.submit": {"en": "Log in", "ja": "ログイン"},
        "login.failed": {"en": "The token was not accepted", "ja": "トークンが受け付けられませんでした"},
        "login.done": {"en": "You are logged in.", "ja": "ログインしました。"},
        "logout": {"en": "Log out", "ja": "ログアウト"},
        "qr": {"en": "QR code of this passport", "ja": "このパスポートのQRコード"},
        "qr.download": {"en": "Download the QR code (PNG)", "ja": "QRコードをダウンロード(PNG)"},
        "error.404": {"en": "No such passport", "ja": "パスポートが見つかりません"},
        "error.400": {"en": "Not a valid battery identifier", "ja": "電池識別子が正しくありません"},
        "error.403": {"en": "Request refused", "ja": "リクエストは拒否されました"},
        "error.back": {
            "en": "Check the identifier on the battery label.",
            "ja": "電池ラベルの識別子を確認してください。",
        },
        "language": {"en": "日本語", "ja": "English"},
        "none": {"en": "none", "ja": "なし"},
    }
)

# Who may read each Annex XIII access level (AccessLevel.value, as PassportView.withheld names them).
_AUDIENCE_OF_LEVEL: Mapping[str, Mapping[Lang, str]] = MappingProxyType(
    {
        "public": {"en": "everyone", "ja": "一般の閲覧者"},
        "legitimate_interest_and_commission": {
            "en": "persons with a legitimate interest and authorities",
            "ja": "正当な利益を有する者および当局",
        },
        "notified_bodies_market_surveillance_commission": {
            "en": "notified bodies, market surveillance authorities and the Commission",
            "ja": "適合性評価機関、市場監視当局および欧州委員会",
        },
        "legitimate_interest": {
            "en": "persons with a legitimate interest (repairers, re-use operators, recyclers)",
            "ja": "正当な利益を有する者(修理業者、リユース事業者、リサイクル事業者)",
        },
    }
)

# Choice values (Annex XIII 4(c) statuses, Art. 77(1) categories) and status events.
_CHOICES: Mapping[str, Mapping[Lang, str]] = MappingProxyType(
    {
        "ev": {"en": "Electric vehicle battery", "ja": "電気自動車用電池"},
        "lmt": {"en": "Light means of transport battery", "ja": "軽量輸送手段用電池"},
        "industrial": {"en": "Industrial battery", "ja": "産業用電池"},
        "stationary_storage": {"en": "Stationary battery energy storage system", "ja": "定置用蓄電システム"},
        "original": {"en": "original", "ja": "オリジナル"},
        "repurposed": {"en": "repurposed", "ja": "用途変更済み"},
        "re-used": {"en": "re-used", "ja": "リユース"},
        "remanufactured": {"en": "remanufactured", "ja": "再製造済み"},
        "waste": {"en": "waste", "ja": "廃棄物"},
        "closed": {"en": "closed (recycled)", "ja": "終了(リサイクル済み)"},
        "place_on_market": {"en": "placed on the market", "ja": "上市"},
        "reuse": {"en": "re-used", "ja": "リユース"},
        "repurpose": {"en": "repurposed", "ja": "用途変更"},
        "remanufacture": {"en": "remanufactured", "ja": "再製造"},
        "declare_waste": {"en": "declared waste", "ja": "廃棄物として宣言"},
        "recycle": {"en": "recycled", "ja": "リサイクル"},
    }
)

_JA_UNITS: Mapping[str, str] = MappingProxyType(
    {"years": "年", "cycles": "サイクル", "count": "回", "min": "分", "%/month": "%/月"}
)

_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def choose_language(query: str | None, accept_language: str | None) -> Lang:
    """``?lang=`` when it names a supported language, else the supported Accept-Language entry with the
    highest q-value, the earlier one on a tie (RFC 9110 §12.5.4), else English."""
    if query is not None and query in _CODES:
        return _CODES[query]
    best: tuple[float, Lang] | None = None
    for item in (accept_language or "").split(",")[:20]:
        match = _ACCEPT_ITEM.match(item)
        lang = _CODES.get(match[1].lower()) if match is not None else None
        if match is None or lang is None:
            continue
        q = _q_value(match[2])
        if q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best is not None else DEFAULT_LANG


def _q_value(raw: str | None) -> float:
    try:
        q = 1.0 if raw is None else float(raw)
    except ValueError:
        return 0.0
    return q if 0 <= q <= 1 else 0.0


def label(key: str, lang: Lang) -> str:
    """The reader-facing name of a catalogue attribute."""
    if lang == "ja":
        return _JA_LABELS[key]
    return attribute(key).name


def text(key: str, lang: Lang) -> str:
    return _TEXT[key][lang]


def audience_of_level(level: str, lang: Lang) -> str:
    """Who may read a withheld access level; an unknown level is shown as itself rather than hidden."""
    names = _AUDIENCE_OF_LEVEL.get(level)
    return names[lang] if names is not None else level


def choice(value: str, lang: Lang) -> str:
    names = _CHOICES.get(value)
    return names[lang] if names is not None else value


def unit(symbol: str, lang: Lang) -> str:
    return _JA_UNITS.get(symbol, symbol) if lang == "ja" else symbol


_MAX_DECIMALS = 6


def number(value: float | int) -> str:
    """Grouped thousands and at most three decimals, trailing zeros dropped (1,234.5); below 0.1, three
    significant digits (up to six decimals), so a pack resistance of 0.0818 Ω is not shown as 0.082. Both
    languages use the same digits and separators (JIS Z 8301 uses the comma for grouping and the point for
    decimals)."""
    if isinstance(value, bool) or not math.isfinite(value):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    size = abs(value)
    decimals = 3 if size >= 0.1 else min(_MAX_DECIMALS, 2 - math.floor(math.log10(size)))
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def quantity(value: float | int, symbol: str | None, lang: Lang) -> str:
    """A number with its unit; "%" and "°C" follow the number with a space as ISO 80000-1 §7.2.1 asks."""
    shown = number(value)
    return f"{shown}\u00a0{unit(symbol, lang)}" if symbol else shown


_PERIOD = re.compile(r"^P(?:([0-9]+)Y)?(?:([0-9]+)M)?$")


def period(value: str, lang: Lang) -> str:
    """An ISO 8601 duration in years and months (Annex XIII 1(m)): P5Y6M -> 5 years 6 months / 5年6か月."""
    match = _PERIOD.match(value)
    if match is None or not (match[1] or match[2]):
        return value
    years, months = int(match[1] or 0), int(match[2] or 0)
    if lang == "ja":
        return (f"{years}年" if years else "") + (f"{months}か月" if months else "")
    parts = []
    if years:
        parts.append(f"{years} year" + ("s" if years != 1 else ""))
    if months:
        parts.append(f"{months} month" + ("s" if months != 1 else ""))
    return " ".join(parts)
