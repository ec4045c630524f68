"""The Ouranos data-transaction service: operators, plants, parts, parts structures, CFP requests and their
status, CFP values with the per-buyer disclosure grants (notes §4.2), and certificates.

Every method takes the calling ``operatorId`` (from ``auth``) first and checks ownership the way the
OpenAPI's prose says (403 when a body names another operator, 404 when an id is unknown). Parts of other
operators are never shown: a buyer sees a supplier's part only as the ``*Response`` rows of its own child
part, and only what the supplier granted (TOTALCFP, TOTALDQR). No I/O besides the injected store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Literal

from battrace.apps.pcf.model import Disclosure
from battrace.apps.pcf.ouranos.cfp import (
    ChildStage,
    StageResult,
    stage_disclosure,
    stage_rollup,
)
from battrace.apps.pcf.ouranos.model import (
    AclItemGroup,
    CfpCertificationFileInfo,
    CfpCertificationModel,
    CfpModel,
    CfpResponseStatus,
    OperatorModel,
    PartsModel,
    PartsStructureModel,
    PlantModel,
    RequestStatus,
    StatusModel,
    TradeModel,
    TradeRequestModel,
    TradeResponseModel,
)
from battrace.apps.pcf.ouranos.rows import own_rows, registered, row, total_rows
from battrace.apps.pcf.ouranos.store import Cfp, Grant, OuranosStore, Structure, Trade
from battrace.clock import Clock, IdFactory
from battrace.errors import Forbidden, InvalidInput, NotFound

Role = Literal["downstream", "upstream"]
Event = Literal["answer", "cancel", "reject"]

# Trade status machine (OpenAPI #13, #15, #16; trade_negotiation_state_machine.pu): one lookup, one error.
# The supplier answers by linking its part and registering its CFP; the buyer may withdraw (CANCEL) and the
# supplier may send the request back (REJECT) — both end the request. A re-registered CFP keeps COMPLETED.
TRANSITIONS: dict[CfpResponseStatus, dict[tuple[Event, Role], CfpResponseStatus]] = {
    "NOT_COMPLETED": {
        ("answer", "upstream"): "COMPLETED",
        ("cancel", "downstream"): "CANCEL",
        ("reject", "upstream"): "REJECT",
    },
    "COMPLETED": {
        ("answer", "upstream"): "COMPLETED",
        ("cancel", "downstream"): "CANCEL",
        ("reject", "upstream"): "REJECT",
    },
    "REJECT": {},
    "CANCEL": {},
}
OPEN: frozenset[CfpResponseStatus] = frozenset({"NOT_COMPLETED", "COMPLETED"})
MAX_IDS = 50  # traceIds per GET cfp / tradeRequest (#10, #14)


def transition(current: CfpResponseStatus, event: Event, role: Role) -> CfpResponseStatus:
    following = TRANSITIONS[current].get((event, role))
    if following is None:
        raise InvalidInput(f"a request in status {current} cannot take '{event}' from the {role} operator")
    return following


class OuranosService:
    def __init__(self, store: OuranosStore, *, clock: Clock, new_id: IdFactory) -> None:
        self.store = store
        self.clock = clock  # public: the HTTP layer stamps error details and X-Track ids with them
        self.new_id = new_id
        self._clock = clock
        self._new_id = new_id

    # -- operators and plants (#1-#4, #17) -------------------------------------------------------------

    def register_operator(self, operator: OperatorModel) -> OperatorModel:
        """Onboarding by the platform operator (not part of the API: #1 only updates)."""
        self._check_unique_operator(operator)
        self.store.operators.put(operator.operatorId, operator)
        return operator

    def get_operator(self, caller: str, open_operator_id: str | None = None) -> OperatorModel:
        if open_operator_id is None:
            return self._operator(caller)
        for operator in self.store.operators.values():
            if operator.openOperatorId == open_operator_id:
                return operator
        raise NotFound(f"openOperatorId {open_operator_id} is not registered")

    def list_operators(self, caller: str, operator_ids: Sequence[str]) -> list[OperatorModel]:
        found = (self.store.operators.get(i) for i in operator_ids)
        return [o for o in found if o is not None]

    def put_operator(self, caller: str, operator: OperatorModel) -> OperatorModel:
        current = self._operator(caller)
        if operator.operatorId != caller:
            raise Forbidden("operatorId must be the authenticated operator")
        if operator.openOperatorId != current.openOperatorId:
            raise InvalidInput("openOperatorId: field is immutable.")
        self._check_unique_operator(operator)
        self.store.operators.put(caller, operator)
        return operator

    def _check_unique_operator(self, operator: OperatorModel) -> None:
        global_id = operator.operatorAttribute.globalOperatorId
        for other in self.store.operators.values():
            if other.operatorId == operator.operatorId:
                continue
            if other.openOperatorId == operator.openOperatorId:
                raise InvalidInput(f"openOperatorId: {operator.openOperatorId} is already exists.")
            if global_id is not None and other.operatorAttribute.globalOperatorId == global_id:
                raise InvalidInput(f"globalOperatorId: {global_id} is already exists.")

    def list_plants(self, caller: str) -> list[PlantModel]:
        return [p for p in self.store.plants.values() if p.operatorId == caller]

    def put_plant(self, caller: str, plant: PlantModel) -> PlantModel:
        if plant.operatorId != caller:
            raise Forbidden("operatorId must be the authenticated operator")
        if plant.plantId is not None:
            existing = self.store.plants.get(plant.plantId)
            if existing is None or existing.operatorId != caller:
                raise NotFound(f"plantId {plant.plantId} is not registered")
        saved = plant.model_copy(update={"plantId": plant.plantId or self._new_id()})
        for other in self.list_plants(caller):
            if other.plantId == saved.plantId:
                continue
            if other.openPlantId == saved.openPlantId:
                raise InvalidInput(f"openPlantId: {saved.openPlantId} is already exists.")
            global_id = saved.plantAttribute.globalPlantId
            if global_id is not None and other.plantAttribute.globalPlantId == global_id:
                raise InvalidInput(f"globalPlantId: {global_id} is already exists.")
        self.store.plants.put(saved.plantId or "", saved)
        return saved

    # -- parts (#5, #8, #19) and structures (#6, #9) ---------------------------------------------------

    def put_parts(self, caller: str, parts: PartsModel) -> PartsModel:
        # "親部品作成時は活動量の指定は不要のためamountRequiredにはnullを指定します" (#5)
        if parts.amountRequired is not None:
            raise InvalidInput("Validation failed, amountRequired: must be blank.")
        return self._save_part(caller, parts)

    def _save_part(self, caller: str, parts: PartsModel) -> PartsModel:
        if parts.operatorId != caller:
            raise Forbidden("operatorId must be the authenticated operator")
        plant = self.store.plants.get(parts.plantId)
        if plant is None or plant.operatorId != caller:
            raise InvalidInput(f"plantId {parts.plantId} is not a plant of the operator")
        if parts.traceId is None:
            return self._create_part(caller, parts)
        existing = self._own_part(caller, parts.traceId)
        # the trace id is issued for operatorId+plantId+partsName+supportPartsName: those cannot change (#5)
        if _identity(existing) != _identity(parts):
            raise InvalidInput("traceId, plantId, partsName and supportPartsName cannot be changed")
        self.store.parts.put(parts.traceId, parts)
        return parts

    def _create_part(self, caller: str, parts: PartsModel) -> PartsModel:
        for other in self.store.parts.values():
            if _identity(other) == _identity(parts):
                raise InvalidInput(f"the part is already registered with traceId {other.traceId}")
        saved = parts.model_copy(update={"traceId": self._new_id()})
        self.store.parts.put(saved.traceId or "", saved)
        return saved

    def list_parts(
        self,
        caller: str,
        *,
        trace_id: str | None = None,
        parts_name: str | None = None,
        plant_id: str | None = None,
        parent_flag: bool | None = None,
    ) -> list[PartsModel]:
        """#8, sorted by partsName. parentFlag=true keeps parts that are no other part's child."""
        children = {c for s in self.store.structures.values() for c in s.children}
        found = [
            p
            for p in self.store.parts.values()
            if p.operatorId == caller
            and trace_id in (None, p.traceId)
            and parts_name in (None, p.partsName)
            and plant_id in (None, p.plantId)
            and (not parent_flag or p.traceId not in children)
        ]
        return sorted(found, key=lambda p: (p.partsName, p.traceId or ""))

    def delete_parts(self, caller: str, trace_id: str) -> None:
        self._own_part(caller, trace_id)
        # #19: a part in a structure or in a request cannot be deleted; its CFP and certificates go with it
        if self.store.structures.get(trace_id) is not None or self._parent_of(trace_id) is not None:
            raise InvalidInput("指定された部品は部品構成が存在するため削除できません。")
        for trade in self.store.trades.values():
            if trade.status in OPEN and trace_id in (trade.downstream_trace_id, trade.upstream_trace_id):
                raise InvalidInput("指定された部品は依頼済みのため削除できません。")
        self.store.parts.delete(trace_id)
        self.store.cfps.delete(trace_id)
        for cert in self.store.certifications.values():
            if cert.traceId == trace_id:
                self.store.certifications.delete(cert.cfpCertificationId)

    def put_parts_structure(self, caller: str, structure: PartsStructureModel) -> PartsStructureModel:
        parent_in = structure.parentPartsModel
        if parent_in.amountRequired is not None:
            raise InvalidInput("Validation failed, parentPartsModel: (amountRequired: must be blank.).")
        for child in structure.childrenPartsModel:
            if child.amountRequired is None or child.amountRequiredUnit is None:
                raise InvalidInput(
                    "Validation failed, childrenPartsModel: amountRequired and its unit are required"
                )
        parent = self._save_part(caller, parent_in)
        children = [self._save_part(caller, child) for child in structure.childrenPartsModel]
        child_ids = tuple(c.traceId or "" for c in children)
        self._check_structure(parent.traceId or "", child_ids)
        self.store.structures.put(parent.traceId or "", Structure(parent.traceId or "", child_ids))
        return PartsStructureModel(parentPartsModel=parent, childrenPartsModel=children)

    def _check_structure(self, parent: str, children: tuple[str, ...]) -> None:
        """Two levels per structure (#6), but structures chain: refuse a part under itself."""
        if len(set(children)) != len(children):
            raise InvalidInput("a child part is listed twice in the structure")
        for child in children:
            owner = self._parent_of(child)
            if owner not in (None, parent):
                raise InvalidInput(f"part {child} is already a child of part {owner}")
            if child == parent or parent in self._descendants(child):
                raise InvalidInput(f"part {child} cannot be a child of its own descendant {parent}")

    def _descendants(self, trace_id: str) -> set[str]:
        seen: set[str] = set()
        pending = [trace_id]
        while pending:
            structure = self.store.structures.get(pending.pop())
            for child in structure.children if structure else ():
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        return seen

    def get_parts_structure(self, caller: str, trace_id: str) -> PartsStructureModel:
        parent = self._own_part(caller, trace_id)
        structure = self.store.structures.get(trace_id)
        children = [self._part(c) for c in structure.children] if structure else []
        return PartsStructureModel(parentPartsModel=parent, childrenPartsModel=children)

    # -- trade requests, responses and status (#7, #10-#13, #16) ---------------------------------------

    def put_trade_request(self, caller: str, request: TradeRequestModel) -> TradeRequestModel:
        trade_in, status_in = request.tradeModel, request.statusModel
        if trade_in.downstreamOperatorId != caller:
            raise Forbidden("downstreamOperatorId must be the authenticated operator")
        if self.store.operators.get(trade_in.upstreamOperatorId) is None:
            raise NotFound(f"upstreamOperatorId {trade_in.upstreamOperatorId} is not registered")
        if trade_in.upstreamTraceId is not None:
            raise InvalidInput("upstreamTraceId can only be set by the supplier (tradeResponse)")
        if status_in.responseDueDate is None:
            raise InvalidInput("Validation failed, responseDueDate: cannot be blank.")
        self._own_part(caller, trade_in.downstreamTraceId)
        if trade_in.tradeId is None:
            trade = self._new_trade(caller, trade_in, status_in.message, status_in.responseDueDate)
        else:
            trade = self._update_trade(caller, trade_in, status_in.message, status_in.responseDueDate)
        self.store.trades.put(trade.trade_id, trade)
        return TradeRequestModel(tradeModel=_trade_model(trade), statusModel=self._status_model(trade))

    def _new_trade(self, caller: str, trade_in: TradeModel, message: str | None, due: date) -> Trade:
        if trade_in.upstreamOperatorId == caller:
            raise InvalidInput("a CFP request must go to another operator")
        for other in self.store.trades.values():
            if other.downstream_trace_id == trade_in.downstreamTraceId and other.status in OPEN:
                raise InvalidInput(f"part {trade_in.downstreamTraceId} already has request {other.trade_id}")
        return Trade(
            trade_id=self._new_id(),
            status_id=self._new_id(),
            downstream_operator_id=caller,
            downstream_trace_id=trade_in.downstreamTraceId,
            upstream_operator_id=trade_in.upstreamOperatorId,
            upstream_trace_id=None,
            status="NOT_COMPLETED",
            message=message,
            reply_message=None,
            response_due_date=due,
            created_at=self._clock(),
        )

    def _update_trade(self, caller: str, trade_in: TradeModel, message: str | None, due: date) -> Trade:
        trade = self._trade(trade_in.tradeId or "", caller, "downstream")
        same = (trade.downstream_trace_id, trade.upstream_operator_id)
        if same != (trade_in.downstreamTraceId, trade_in.upstreamOperatorId):
            raise InvalidInput("downstreamTraceId and upstreamOperatorId of a request cannot be changed")
        if trade.status not in OPEN:
            raise InvalidInput(f"request {trade.trade_id} is {trade.status} and cannot be changed")
        return replace(trade, message=message, response_due_date=due)

    def list_trade_requests(self, caller: str, trace_ids: Sequence[str] | None = None) -> list[TradeModel]:
        trades = [t for t in self.store.trades.values() if t.downstream_operator_id == caller]
        if trace_ids is not None:
            trades = [t for t in trades if t.downstream_trace_id in trace_ids]
        return [_trade_model(t) for t in _newest_first(trades)]

    def list_trade_responses(self, caller: str) -> list[TradeResponseModel]:
        """#12: requests addressed to the caller, with the buyer's part minus its amount (not disclosed)."""
        trades = [t for t in self.store.trades.values() if t.upstream_operator_id == caller]
        return [
            TradeResponseModel(
                statusModel=self._status_model(t),
                tradeModel=_trade_model(t),
                partsModel=self._part(t.downstream_trace_id).model_copy(update={"amountRequired": None}),
            )
            for t in _newest_first(trades)
        ]

    def put_trade_response(self, caller: str, trade_id: str, trace_id: str) -> TradeModel:
        trade = self._trade(trade_id, caller, "upstream")
        self._own_part(caller, trace_id)
        if trade.status not in OPEN:
            raise InvalidInput(f"request {trade_id} is {trade.status} and cannot be answered")
        trade = replace(trade, upstream_trace_id=trace_id)
        if self.store.cfps.get(trace_id) is not None:
            trade = self._answer(trade)
        self.store.trades.put(trade_id, trade)
        return _trade_model(trade)

    def _answer(self, trade: Trade) -> Trade:
        status = transition(trade.status, "answer", "upstream")
        return replace(trade, status=status, completed_at=trade.completed_at or self._clock())

    def list_status(
        self,
        caller: str,
        *,
        target: Literal["REQUEST", "RESPONSE"] | None = None,
        status_id: str | None = None,
        trace_id: str | None = None,
    ) -> list[StatusModel]:
        trades = [
            t
            for t in self.store.trades.values()
            if (target != "RESPONSE" and t.downstream_operator_id == caller)
            or (target != "REQUEST" and t.upstream_operator_id == caller)
        ]
        if status_id is not None:
            trades = [t for t in trades if t.status_id == status_id]
        if trace_id is not None and target == "REQUEST":  # #11: traceId only filters with REQUEST
            trades = [t for t in trades if t.downstream_trace_id == trace_id]
        return [self._status_model(t) for t in _newest_first(trades)]

    def put_status(self, caller: str, status: StatusModel) -> None:
        """#16: CANCEL by the buyer, REJECT (with replyMessage) by the supplier; nothing else."""
        if status.statusId is None:
            raise InvalidInput("Validation failed, statusId: cannot be blank.")
        wanted = status.requestStatus.cfpResponseStatus
        if wanted not in ("CANCEL", "REJECT") or status.requestStatus.tradeTreeStatus is None:
            raise InvalidInput("cfpResponseStatus must be CANCEL or REJECT, and tradeTreeStatus is required")
        trade = next((t for t in self.store.trades.values() if t.status_id == status.statusId), None)
        if trade is None or caller not in (trade.downstream_operator_id, trade.upstream_operator_id):
            raise NotFound(f"statusId {status.statusId} is not registered")
        role: Role = "downstream" if trade.downstream_operator_id == caller else "upstream"
        event: Event = "cancel" if wanted == "CANCEL" else "reject"
        following = transition(trade.status, event, role)
        reply = status.replyMessage if event == "reject" else trade.reply_message
        self.store.trades.put(trade.trade_id, replace(trade, status=following, reply_message=reply))

    def _status_model(self, trade: Trade) -> StatusModel:
        completed, total = self._counts(trade, set())
        now = self._clock()
        return StatusModel(
            statusId=trade.status_id,
            tradeId=trade.trade_id,
            requestStatus=RequestStatus(
                cfpResponseStatus=trade.status,
                tradeTreeStatus="TERMINATED" if self._terminated(trade, set()) else "UNTERMINATED",
                completedCount=completed,
                completedCountModifiedAt=trade.completed_at,
                tradesCount=total,
                tradesCountModifiedAt=now,
            ),
            message=trade.message,
            replyMessage=trade.reply_message,
            requestType="CFP",
            responseDueDate=trade.response_due_date,
        )

    def _upstream_trades(self, trade: Trade) -> list[Trade]:
        """Open requests the supplier made for the children of the part it linked to this request."""
        if trade.upstream_trace_id is None:
            return []
        structure = self.store.structures.get(trade.upstream_trace_id)
        children = set(structure.children) if structure else set()
        return [
            t for t in self.store.trades.values() if t.downstream_trace_id in children and t.status in OPEN
        ]

    def _counts(self, trade: Trade, seen: set[str]) -> tuple[int, int]:
        """completedCount / tradesCount: this request and the requests upstream of it (#11)."""
        seen.add(trade.trade_id)
        completed, total = int(trade.status == "COMPLETED"), 1
        for upstream in self._upstream_trades(trade):
            if upstream.trade_id not in seen:
                more_completed, more_total = self._counts(upstream, seen)
                completed, total = completed + more_completed, total + more_total
        return completed, total

    def _terminated(self, trade: Trade, seen: set[str]) -> bool:
        """TERMINATED: the supplier's part is a leaf, or each child is a leaf or a terminated tree."""
        if trade.upstream_trace_id is None or trade.trade_id in seen:
            return False
        seen.add(trade.trade_id)
        part = self.store.parts.get(trade.upstream_trace_id)
        if part is None:
            return False
        structure = self.store.structures.get(trade.upstream_trace_id)
        if part.terminatedFlag or structure is None:
            return part.terminatedFlag
        upstream = {t.downstream_trace_id: t for t in self._upstream_trades(trade)}
        return all(
            self._part(c).terminatedFlag or (c in upstream and self._terminated(upstream[c], seen))
            for c in structure.children
        )

    # -- CFP (#14, #15) and grants (cfpAcl) ------------------------------------------------------------

    def put_cfp(self, caller: str, models: Sequence[CfpModel]) -> list[CfpModel]:
        cfp = registered(models)
        self._own_part(caller, cfp.trace_id)
        existing = self.store.cfps.get(cfp.trace_id)
        if existing is None and models[0].cfpId is not None:
            raise NotFound(f"cfpId {models[0].cfpId} is not registered")
        if existing is not None and models[0].cfpId != existing.cfp_id:
            raise InvalidInput(f"traceId {cfp.trace_id} already has CFP {existing.cfp_id}: send that cfpId")
        return own_rows(self.register_cfp(caller, cfp))

    def register_cfp(self, caller: str, cfp: Cfp) -> Cfp:
        """Keep ``cfp`` (exact decimals) as the CFP of the caller's part, under the part's existing cfpId if
        it has one, and answer the requests linked to the part. PUT cfp and the data-space bridge."""
        self._own_part(caller, cfp.trace_id)
        existing = self.store.cfps.get(cfp.trace_id)
        saved = replace(cfp, cfp_id=existing.cfp_id if existing else self._new_id())
        self.store.cfps.put(saved.trace_id, saved)
        for trade in self.store.trades.values():  # registering the CFP answers the linked requests
            if trade.upstream_trace_id == saved.trace_id and trade.status in OPEN:
                self.store.trades.put(trade.trade_id, self._answer(trade))
        return saved

    def stage_results(self, caller: str, trace_id: str) -> tuple[StageResult, StageResult]:
        """The pre- and main-production results of the caller's own part, as GET cfp's ``*Total`` rows
        show them but unrounded (what the data-space bridge hands on)."""
        self._own_part(caller, trace_id)
        cfp = self.store.cfps.get(trace_id)
        if cfp is None:
            raise NotFound(f"traceId {trace_id} has no registered CFP")
        return self._stage_results(cfp, {trace_id})

    def open_request_for(self, downstream_trace_id: str) -> Trade:
        """The open CFP request a buyer made for its part ``downstream_trace_id`` (the bridge answers it)."""
        found = [
            t
            for t in self.store.trades.values()
            if t.downstream_trace_id == downstream_trace_id and t.status in OPEN
        ]
        if not found:
            raise NotFound(f"no open CFP request for traceId {downstream_trace_id}")
        return _newest_first(found)[0]

    def grant(self, caller: str, trace_id: str, recipient: str, items: Iterable[AclItemGroup]) -> Grant:
        """cfpAcl: let ``recipient`` see TOTALCFP / TOTALDQR of the caller's part (an empty set revokes)."""
        self._own_part(caller, trace_id)
        if self.store.operators.get(recipient) is None:
            raise NotFound(f"operatorId {recipient} is not registered")
        grant = Grant(trace_id=trace_id, recipient=recipient, items=frozenset(items))
        self.store.grants.put((trace_id, recipient), grant)
        return grant

    def get_cfp(self, caller: str, trace_ids: Sequence[str]) -> list[CfpModel]:
        """#14 in request order. Own part: registered values + totals; own child part with an answered
        request: the supplier's totals as ``*Response`` (only what was granted). Others' parts: nothing."""
        if len(trace_ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} traceIds")
        rows: list[CfpModel] = []
        for trace_id in trace_ids:
            part = self.store.parts.get(trace_id)
            if part is None or part.operatorId != caller:
                continue
            trade = self._answered_trade(trace_id)
            if trade is not None:
                rows.extend(self._response_rows(trace_id, trade))
                continue
            cfp = self.store.cfps.get(trace_id)
            if cfp is not None:
                pre, main = self._stage_results(cfp, {trace_id})
                rows.extend([*own_rows(cfp), *total_rows(cfp, pre, main)])
        return rows

    def _answered_trade(self, trace_id: str) -> Trade | None:
        return next(
            (
                t
                for t in self.store.trades.values()
                if t.downstream_trace_id == trace_id and t.status == "COMPLETED" and t.upstream_trace_id
            ),
            None,
        )

    def _stage_results(self, cfp: Cfp, seen: set[str]) -> tuple[StageResult, StageResult]:
        owner = self._part(cfp.trace_id).operatorId
        structure = self.store.structures.get(cfp.trace_id)
        pre_children: list[ChildStage] = []
        main_children: list[ChildStage] = []
        for child_id in structure.children if structure else ():
            child = self._part(child_id)
            answer = self._child_answer(child_id, owner, seen)
            if answer is None or child.amountRequired is None or child.amountRequiredUnit is None:
                continue  # not answered, not granted or not registered: contributes nothing (Ouranos too)
            amount = Decimal(str(child.amountRequired))
            for stage_children, disclosure in zip((pre_children, main_children), answer, strict=True):
                if disclosure is not None:
                    stage_children.append(ChildStage(amount, child.amountRequiredUnit, disclosure))
        return (
            stage_rollup(cfp.trace_id, cfp.unit, cfp.pre, pre_children),
            stage_rollup(cfp.trace_id, cfp.unit, cfp.main, main_children),
        )

    def _child_answer(
        self, child_id: str, viewer: str, seen: set[str]
    ) -> tuple[Disclosure | None, Disclosure | None] | None:
        """The child's per-stage disclosures as the parent's owner may see them."""
        trade = self._answered_trade(child_id)
        source = trade.upstream_trace_id if trade else child_id
        cfp = self.store.cfps.get(source or "")
        if cfp is None:
            return None
        if cfp.trace_id in seen:
            raise InvalidInput(f"the supply chain of part {cfp.trace_id} loops back on itself")
        pre, main = self._stage_results(cfp, seen | {cfp.trace_id})
        total, dqr = self._granted(cfp.trace_id, viewer)
        return stage_disclosure(pre, total=total, dqr=dqr), stage_disclosure(main, total=total, dqr=dqr)

    def _granted(self, trace_id: str, viewer: str) -> tuple[bool, bool]:
        if self._part(trace_id).operatorId == viewer:
            return True, True
        grant = self.store.grants.get((trace_id, viewer))
        items = grant.items if grant else frozenset()
        return "TOTALCFP" in items, "TOTALDQR" in items

    def _response_rows(self, trace_id: str, trade: Trade) -> list[CfpModel]:
        cfp = self.store.cfps.get(trade.upstream_trace_id or "")
        total, dqr = self._granted(trade.upstream_trace_id or "", trade.downstream_operator_id)
        if cfp is None or not (total or dqr):
            return []
        pre, main = self._stage_results(cfp, {cfp.trace_id})
        pre_total = pre.footprint.total if total else None
        main_total = main.footprint.total if total else None
        return [
            row(None, trace_id, cfp, "preProductionResponse", pre_total, pre, dqr),
            row(None, trace_id, cfp, "mainProductionResponse", main_total, main, dqr),
        ]

    # -- certificates (#18) ----------------------------------------------------------------------------

    def add_certification(
        self, caller: str, trace_id: str, description: str | None, files: Sequence[CfpCertificationFileInfo]
    ) -> CfpCertificationModel:
        """Registered through the traceability-management API (file upload), outside this OpenAPI."""
        self._own_part(caller, trace_id)
        cert = CfpCertificationModel(
            cfpCertificationId=self._new_id(),
            traceId=trace_id,
            cfpCertificationDescription=description,
            cfpCertificationFileInfo=list(files),
        )
        self.store.certifications.put(cert.cfpCertificationId, cert)
        return cert

    def get_certifications(self, caller: str, trace_id: str) -> list[CfpCertificationModel]:
        """The caller's own part's certificates, or — for its child part with an answered request — the
        supplier's, when the supplier granted TOTALCFP."""
        part = self.store.parts.get(trace_id)
        if part is None or part.operatorId != caller:
            return []
        trade = self._answered_trade(trace_id)
        source = trace_id
        if trade is not None and trade.upstream_trace_id is not None:
            if not self._granted(trade.upstream_trace_id, caller)[0]:
                return []
            source = trade.upstream_trace_id
        return [
            c.model_copy(update={"traceId": trace_id})
            for c in self.store.certifications.values()
            if c.traceId == source
        ]

    # -- lookups ---------------------------------------------------------------------------------------

    def _operator(self, operator_id: str) -> OperatorModel:
        operator = self.store.operators.get(operator_id)
        if operator is None:
            raise NotFound(f"operatorId {operator_id} is not registered")
        return operator

    def _part(self, trace_id: str) -> PartsModel:
        part = self.store.parts.get(trace_id)
        if part is None:
            raise NotFound(f"traceId {trace_id} is not registered")
        return part

    def _own_part(self, caller: str, trace_id: str) -> PartsModel:
        """Another operator's part answers like an unknown one: its existence is not disclosed."""
        part = self.store.parts.get(trace_id)
        if part is None or part.operatorId != caller:
            raise NotFound("指定された部品は存在しません。")
        return part

    def _parent_of(self, trace_id: str) -> str | None:
        return next(
            (s.parent_trace_id for s in self.store.structures.values() if trace_id in s.children), None
        )

    def _trade(self, trade_id: str, caller: str, role: Role) -> Trade:
        trade = self.store.trades.get(trade_id)
        owner = None
        if trade is not None:
            owner = trade.downstream_operator_id if role == "downstream" else trade.upstream_operator_id
        if trade is None or owner != caller:
            raise NotFound(f"tradeId {trade_id} is not registered")
        return trade


def _identity(part: PartsModel) -> tuple[str, str, str, str | None]:
    return part.operatorId, part.plantId, part.partsName, part.supportPartsName


def _newest_first(trades: Iterable[Trade]) -> list[Trade]:
    return sorted(trades, key=lambda t: (t.created_at, t.trade_id), reverse=True)


def _trade_model(trade: Trade) -> TradeModel:
    return TradeModel(
        tradeId=trade.trade_id,
        downstreamOperatorId=trade.downstream_operator_id,
        downstreamTraceId=trade.downstream_trace_id,
        upstreamOperatorId=trade.upstream_operator_id,
        upstreamTraceId=trade.upstream_trace_id,
    )
