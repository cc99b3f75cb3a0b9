"""Events (capacity, QR check-in, counts for the targets) and the 需求榜 (review, external researchers, selection,
declarations before signing, milestone payment records, keyword suggestions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.engagement import selectors
from onestop.engagement.models import ExpertContract, MilestonePayment, Need
from onestop.engagement.services import events, needs


def _event(zone, **kw):
    start = timezone.now() + timedelta(days=10)
    args = {"actor": zone.office, "kind": "recruitment", "title": "空中丝路引才行动·北京站", "venue_kind": "beijing_station",
            "location": "北京人才服务站", "starts_at": start, "ends_at": start + timedelta(hours=3), "capacity": 2}
    args.update(kw)
    return events.event_create(**args)


def test_event_plan_publish_register_check_in_and_counts(zone):
    event = _event(zone)
    with pytest.raises(Conflict):
        events.event_register(actor=zone.talent, event=event)  # not yet published
    event = events.event_publish(actor=zone.office, event=event)
    reg = events.event_register(actor=zone.talent, event=event)
    with pytest.raises(Conflict):
        events.event_register(actor=zone.talent, event=event)
    events.event_register(actor=zone.admin, event=event)  # an employer, for its enterprise
    with pytest.raises(Conflict) as exc:
        events.event_register(actor=zone.talent2, event=event)
    assert exc.value.message == "名额已满。"
    with pytest.raises(NotFound):  # another department's staff cannot check people in
        events.event_checkin(actor=zone.hrss_staff, token=reg.token)
    events.event_checkin(actor=zone.office, token=reg.token)
    with pytest.raises(Conflict):
        events.event_checkin(actor=zone.office, token=reg.token)
    events.event_finish(actor=zone.office, event=event)
    counts = selectors.event_counts(year=event.starts_at.year)
    assert counts["recruitment"] == {"planned": 1, "held": 1, "registrations": 2, "attendance": 1}
    assert counts["publicity"]["held"] == 0


def test_event_input_errors_name_the_fields(zone):
    with pytest.raises(ValidationFailed) as exc:
        _event(zone, title="", capacity=0, ends_at=timezone.now() - timedelta(days=400), kind="party")
    assert set(exc.value.field_errors) == {"title", "capacity", "ends_at", "kind"}
    assert exc.value.field_errors["capacity"] == ["名额：至少 1 人。"]


def test_capacity_is_a_database_invariant(zone):
    event = events.event_publish(actor=zone.office, event=_event(zone, capacity=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        type(event).objects.filter(pk=event.pk).update(registered_count=2)


NEED_TEXT = "开发航空电子设备的嵌入式实时操作系统，要求支持多核处理器调度、故障诊断与适航认证所需的软件验证。"


def _need(zone, enterprise=None, actor=None):
    return needs.need_submit(actor=actor or zone.admin, enterprise=enterprise or zone.ours, title="机载嵌入式操作系统",
                             field="aerospace", description=NEED_TEXT, budget_fen=50_000_000,
                             deadline=date.today() + timedelta(days=60))


def test_need_is_hidden_until_reviewed(zone):
    need = _need(zone)
    assert need.status == "pending" and "嵌入式" in need.keywords
    assert list(selectors.needs_public()) == []
    with pytest.raises(NotFound):
        selectors.need_for(user=zone.other_admin, pk=need.pk)
    with pytest.raises(NotFound):
        needs.need_review(actor=zone.hrss_staff, need=need, approve=True)
    with pytest.raises(ValidationFailed):
        needs.need_review(actor=zone.industry_staff, need=need, approve=False)
    needs.need_review(actor=zone.industry_staff, need=need, approve=True)
    assert [n.pk for n in selectors.needs_public()] == [need.pk]


def test_an_employer_cannot_publish_for_another(zone):
    with pytest.raises(NotFound):
        _need(zone, enterprise=zone.ours, actor=zone.other_admin)
    assert Need.objects.count() == 0


def test_apply_select_declare_sign_and_milestones_release_payments(zone):
    need = needs.need_review(actor=zone.office, need=_need(zone), approve=True)
    local = needs.researcher_profile_save(actor=zone.talent, institution="郑州大学",
                                          expertise="嵌入式实时操作系统、多核调度与航空电子软件验证")
    external = needs.researcher_profile_save(actor=zone.talent2, institution="北京航空航天大学", is_external=True,
                                             expertise="机载软件适航认证与故障诊断")
    assert external.is_external
    suggested = selectors.suggest_researchers(user=zone.admin, need=need)
    assert suggested and suggested[0][0] == local
    assert selectors.suggest_researchers(user=zone.other_admin, need=need) == []
    with pytest.raises(ValidationFailed) as exc:
        needs.need_apply(actor=zone.talent, need=need, proposal="太短", quote_fen=90_000_000)
    assert set(exc.value.field_errors) == {"proposal", "quote"}
    a1 = needs.need_apply(actor=zone.talent, need=need, proposal="基于微内核架构，分三期完成调度器、诊断与验证工具链。" * 2,
                          quote_fen=40_000_000)
    needs.need_apply(actor=zone.talent2, need=need, proposal="以适航认证为主线，提供 DO-178C 验证方案与工具链支持。" * 2,
                     quote_fen=45_000_000)
    with pytest.raises(NotFound):
        selectors.application_for_enterprise(user=zone.other_admin, pk=a1.pk)
    assert selectors.applications_for_need(user=zone.talent2, need=need).count() == 1
    contract = needs.need_select(actor=zone.admin, application=a1)
    assert contract.total_fen == 40_000_000
    assert {a.status for a in need.applications.all()} == {"selected", "not_selected"}
    due = date.today() + timedelta(days=90)
    with pytest.raises(ValidationFailed) as exc:
        needs.contract_set_milestones(actor=zone.admin, contract=contract, milestones=[
            {"title": "调度器", "deliverable": "源码与测试报告", "amount_fen": 10_000_000, "due_date": due}])
    assert "应等于合同金额" in exc.value.field_errors["milestones"][0]
    needs.contract_set_milestones(actor=zone.admin, contract=contract, milestones=[
        {"title": "调度器", "deliverable": "源码与测试报告", "amount_fen": 15_000_000, "due_date": due},
        {"title": "验证工具链", "deliverable": "工具与验证报告", "amount_fen": 25_000_000, "due_date": due}])
    with pytest.raises(ValidationFailed) as exc:
        needs.contract_sign(actor=zone.admin, contract=contract)
    assert set(exc.value.field_errors) == {"ip_declaration", "coi_declaration"}
    with pytest.raises(NotFound):
        needs.contract_declare(actor=zone.talent2, contract=contract, ip_declaration="x" * 20, coi_declaration="无")
    needs.contract_declare(actor=zone.talent, contract=contract, ip_declaration="成果知识产权归发榜企业所有，本人享有署名权。",
                           coi_declaration="无利益冲突：本人与发榜企业无任职或持股关系。")
    contract = needs.contract_sign(actor=zone.admin, contract=contract)
    assert contract.status == "signed"
    m1, m2 = contract.milestones.all()
    with pytest.raises(Conflict):
        needs.milestone_accept(actor=zone.admin, milestone=m1)  # nothing submitted yet
    needs.milestone_submit(actor=zone.talent, milestone=m1, submission="调度器源码与测试报告已提交至企业代码库。")
    payment = needs.milestone_accept(actor=zone.admin, milestone=m1)
    assert payment.amount_fen == 15_000_000
    m1.refresh_from_db()
    with pytest.raises(Conflict):
        needs.milestone_accept(actor=zone.admin, milestone=m1)
    needs.milestone_submit(actor=zone.talent, milestone=m2, submission="验证工具链与验证报告已交付并通过评审。")
    needs.milestone_accept(actor=zone.admin, milestone=m2)
    contract.refresh_from_db()
    assert contract.status == "completed" and MilestonePayment.objects.count() == 2


def test_the_database_refuses_a_contract_signed_without_declarations(zone):
    need = needs.need_review(actor=zone.office, need=_need(zone), approve=True)
    needs.researcher_profile_save(actor=zone.talent, institution="郑州大学", expertise="嵌入式实时操作系统与多核调度")
    app = needs.need_apply(actor=zone.talent, need=need, proposal="基于微内核架构分三期完成调度器与验证工具链。" * 2,
                           quote_fen=1_000_000)
    contract = needs.need_select(actor=zone.admin, application=app)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpertContract.objects.filter(pk=contract.pk).update(status="signed", signed_at=timezone.now())
