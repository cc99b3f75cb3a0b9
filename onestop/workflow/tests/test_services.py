"""The engine: transitions allowed and refused, departments kept apart, parallel and conditional steps, the pause
while more information is requested, reminders and escalation, outcome handlers, definition versioning."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from onestop.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from onestop.core.models import AuditEvent, Notification
from onestop.workflow import services
from onestop.workflow.choices import CaseStatus, EventKind, TaskAction, TaskState
from onestop.workflow.errors import TransitionNotAllowed
from onestop.workflow.handlers import outcome_handlers
from onestop.workflow.models import Case, CaseEvent, ServiceRequest, WorkflowDefinition
from onestop.workflow.selectors import case_timeline, queue_for

from .conftest import submit, task_of

pytestmark = pytest.mark.django_db
D = date.fromisoformat


# --- starting a case -----------------------------------------------------------------------------------------------

def test_a_request_opens_the_first_stage_with_a_working_day_deadline(wf, talent):
    case = submit(talent)

    review = task_of(case, "talent_office_review")
    assert review.state == TaskState.PENDING
    assert review.department == wf.office.role_assignments.get().department
    assert review.due_date == D("2024-09-29")           # five working days from Monday 09-23: the make-up Sunday
    assert review.deadline_estimated is False
    assert case.definition.version == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CASE_STARTED, actor=talent).exists()
    assert AuditEvent.objects.filter(action="workflow.case.start", object_id=str(case.pk)).exists()
    assert Notification.objects.filter(recipient=wf.office, link__endswith=f"/workflow/tasks/{review.pk}/").exists()


def test_conditional_steps_are_skipped_when_they_do_not_apply(wf, talent):
    case = submit(talent)                                    # Chinese, no employer

    assert task_of(case, "employer_confirm").state == TaskState.SKIPPED
    timeline = case_timeline(case=case, viewer=talent)
    skipped = [s for st in timeline.stages for s in st.steps if s.state == TaskState.SKIPPED]
    assert [s.name for s in skipped] == ["用人单位确认"]
    services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
    assert task_of(case, "exit_entry_check").state == TaskState.SKIPPED
    assert task_of(case, "hrss_confirm").state == TaskState.PENDING


def test_one_open_case_per_subject(wf, talent):
    case = submit(talent)
    with pytest.raises(Conflict):
        services.case_start(definition_code="talent_service", subject=case.subject, applicant=talent, title="again")


def test_starting_an_unpublished_definition_is_refused(wf, talent):
    request = ServiceRequest.objects.create(kind="housing", applicant=talent, title="x")
    with pytest.raises(NotFound):
        services.case_start(definition_code="nope", subject=request, applicant=talent, title="x")


# --- the whole sample workflow ------------------------------------------------------------------------------------

def test_two_departments_in_sequence_approve_the_case_and_the_handler_runs(wf, talent):
    case = submit(talent)

    review = services.task_claim(task=task_of(case, "talent_office_review"), actor=wf.office)
    services.task_approve(task=review, actor=wf.office, reason="材料齐全")
    confirm = task_of(case, "hrss_confirm")
    assert confirm.department.code == "hrss" and confirm.state == TaskState.PENDING
    services.task_approve(task=confirm, actor=wf.hrss)

    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.closed_at is not None
    request = ServiceRequest.objects.get(pk=case.subject_id)
    assert request.outcome == CaseStatus.APPROVED                    # the registered outcome handler ran
    closing = Notification.objects.get(recipient=talent, title__startswith="办件已办结")
    assert closing.deliveries.filter(channel="sms").exists(), "the applicant is told by SMS"
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[0] == EventKind.CASE_STARTED and kinds[-1] == EventKind.CASE_CLOSED
    assert AuditEvent.objects.filter(action="workflow.task.approve").count() == 2
    assert AuditEvent.objects.filter(action="workflow.case.close", object_id=str(case.pk)).exists()


def test_a_rejection_closes_the_case_and_cancels_the_parallel_step(wf, employed_talent):
    case = submit(employed_talent.user)
    employer_task = task_of(case, "employer_confirm")
    assert employer_task.state == TaskState.PENDING and employer_task.enterprise == employed_talent.enterprise

    services.task_reject(task=task_of(case, "talent_office_review"), actor=wf.office, reason="不属于服务范围")

    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert task_of(case, "employer_confirm").state == TaskState.CANCELLED
    assert ServiceRequest.objects.get(pk=case.subject_id).outcome == CaseStatus.REJECTED
    assert not case.tasks.filter(step__code="hrss_confirm").exists()


@pytest.mark.parametrize("order", [("hrss_confirm", "exit_entry_check"), ("exit_entry_check", "hrss_confirm")])
def test_parallel_steps_complete_in_any_order(wf, foreign_talent, order):
    case = submit(foreign_talent.user)
    services.task_approve(task=task_of(case, "employer_confirm"), actor=foreign_talent.hr)
    case.refresh_from_db()
    assert case.stage == 0                                   # the talent office has not decided yet
    services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
    actor = {"hrss_confirm": wf.hrss, "exit_entry_check": wf.exit_entry}

    services.task_approve(task=task_of(case, order[0]), actor=actor[order[0]])
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and task_of(case, order[1]).state == TaskState.PENDING
    services.task_approve(task=task_of(case, order[1]), actor=actor[order[1]])

    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED


# --- transitions allowed and refused ---------------------------------------------------------------------------

def test_claim_then_claim_again_is_refused(wf, talent):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)
    assert (task.state, task.assignee) == (TaskState.IN_PROGRESS, wf.office)

    with pytest.raises(TransitionNotAllowed, match="不能认领"):
        services.task_claim(task=task, actor=wf.office2)


def test_only_the_assignee_or_the_head_acts_on_a_claimed_task(wf, talent):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)

    with pytest.raises(PermissionDenied, match="只有经办人或部门负责人"):
        services.task_approve(task=task, actor=wf.office2)
    assert AuditEvent.objects.filter(action="workflow.task.approve", result="denied", actor=wf.office2).exists()
    services.task_release(task=task, actor=wf.office_head)
    task.refresh_from_db()
    assert (task.state, task.assignee) == (TaskState.PENDING, None)


def test_approving_a_pending_task_claims_it_implicitly(wf, talent):
    task = services.task_approve(task=task_of(submit(talent), "talent_office_review"), actor=wf.office2)
    assert (task.state, task.assignee, task.decided_by) == (TaskState.APPROVED, wf.office2, wf.office2)


def test_a_decided_task_cannot_be_decided_again(wf, talent):
    task = services.task_approve(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)
    for action in (TaskAction.APPROVE, TaskAction.REJECT, TaskAction.CLAIM, TaskAction.REQUEST_INFO):
        with pytest.raises(TransitionNotAllowed):
            services.task_act(task=task, actor=wf.office, action=action, reason="再次办理")


def test_a_closed_case_refuses_every_action(wf, talent):
    case = submit(talent)
    services.case_withdraw(case=case, actor=talent, reason="不需要了")
    task = task_of(case, "talent_office_review")
    assert task.state == TaskState.WITHDRAWN
    with pytest.raises(TransitionNotAllowed, match="办件已办结"):
        services.task_claim(task=task, actor=wf.office)


@pytest.mark.parametrize("action", [TaskAction.REJECT, TaskAction.REQUEST_INFO])
def test_reject_and_request_info_need_a_reason_named_in_chinese(wf, talent, action):
    task = task_of(submit(talent), "talent_office_review")
    with pytest.raises(ValidationFailed) as exc:
        services.task_act(task=task, actor=wf.office, action=action, reason="  ")
    assert exc.value.field_errors["reason"][0].startswith("理由：")
    task.refresh_from_db()
    assert task.state == TaskState.PENDING


def test_reassign_within_the_department_only(wf, talent):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)

    with pytest.raises(ValidationFailed) as exc:
        services.task_reassign(task=task, actor=wf.office, assignee=wf.hrss, reason="请协助")
    assert exc.value.field_errors["assignee"] == ["转办对象：只能转给本部门（单位）可办理该环节的人员。"]
    with pytest.raises(ValidationFailed) as exc:
        services.task_reassign(task=task, actor=wf.office, assignee=wf.office2, reason="")
    assert "reason" in exc.value.field_errors

    task = services.task_reassign(task=task, actor=wf.office_head, assignee=wf.office2, reason="均衡工作量")
    assert (task.state, task.assignee) == (TaskState.IN_PROGRESS, wf.office2)
    assert Notification.objects.filter(recipient=wf.office2, title__startswith="转办给您的任务").exists()
    event = task.events.get(kind=EventKind.REASSIGNED)
    assert (event.actor, event.reason) == (wf.office_head, "均衡工作量")


def test_another_department_never_acts_on_a_task(wf, talent):
    task = task_of(submit(talent), "talent_office_review")
    for outsider in (wf.hrss, wf.housing, wf.hrss_head, talent):
        with pytest.raises(NotFound):
            services.task_claim(task=task, actor=outsider)
    task.refresh_from_db()
    assert task.state == TaskState.PENDING
    assert AuditEvent.objects.filter(action="workflow.task.claim", result="denied").count() == 4


def test_employer_tasks_belong_to_the_applicants_enterprise(wf, employed_talent):
    from onestop.core.tests.factories import EmployerUserFactory

    task = task_of(submit(employed_talent.user), "employer_confirm")
    with pytest.raises(NotFound):
        services.task_approve(task=task, actor=EmployerUserFactory())        # another enterprise
    with pytest.raises(NotFound):
        services.task_approve(task=task, actor=wf.office)                    # a department is not the employer
    task = services.task_approve(task=task, actor=employed_talent.hr)
    assert task.state == TaskState.APPROVED


# --- more information: the clock pauses ------------------------------------------------------------------------

def test_the_deadline_pauses_while_more_information_is_requested(wf, talent):
    case = submit(talent)                                   # Monday 2024-09-23, due Sunday 09-29 (make-up day)
    task = services.task_claim(task=task_of(case, "talent_office_review"), actor=wf.office)
    wf.clock.set(D("2024-09-25"))                           # Wednesday: 09-26, 09-27, 09-29 left
    task = services.task_request_info(task=task, actor=wf.office, reason="请补充劳动合同")
    assert (task.state, task.remaining_days) == (TaskState.INFO_REQUESTED, 3)
    asked = Notification.objects.get(recipient=talent, title__startswith="请补充材料")
    assert "请补充劳动合同" in asked.body and asked.deliveries.filter(channel="sms").exists()

    wf.clock.set(D("2024-10-09"))                           # two weeks later, after National Day: not overdue
    assert services.tasks_escalate_overdue() == 0
    assert not queue_for(user=wf.office, overdue=True).exists()
    services.case_provide_info(case=case, actor=talent, message="已上传劳动合同")

    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS and task.assignee == wf.office
    assert task.due_date == D("2024-10-12")                 # 10-10, 10-11, 10-12 (make-up Saturday)
    assert task.paused_at is None and task.remaining_days is None
    assert Notification.objects.filter(recipient=wf.office, title__startswith="申请人已补充材料").exists()


def test_the_resumed_deadline_counts_the_days_that_were_left(wf, talent):
    case = submit(talent)
    task = services.task_claim(task=task_of(case, "talent_office_review"), actor=wf.office)
    wf.clock.set(D("2024-09-24"))                           # 09-25, 09-26, 09-27, 09-29 left
    services.task_request_info(task=task, actor=wf.office, reason="请补充学历证明")
    wf.clock.set(D("2024-10-09"))
    services.case_provide_info(case=case, actor=talent, message="已补充")
    task.refresh_from_db()
    # 4 working days after 10-09: 10-10, 10-11, 10-12 (Saturday, make-up), 10-14
    assert task.due_date == D("2024-10-14")


def test_only_the_applicant_answers_and_only_when_asked(wf, talent, other_talent):
    case = submit(talent)
    with pytest.raises(TransitionNotAllowed, match="没有需要补充材料"):
        services.case_provide_info(case=case, actor=talent, message="材料")
    services.task_request_info(task=task_of(case, "talent_office_review"), actor=wf.office, reason="缺材料")
    with pytest.raises(NotFound):
        services.case_provide_info(case=case, actor=other_talent, message="材料")
    with pytest.raises(ValidationFailed) as exc:
        services.case_provide_info(case=case, actor=talent, message="")
    assert exc.value.field_errors["message"] == ["补充说明：请填写补充的材料或说明。"]


# --- reminders and escalation --------------------------------------------------------------------------------

def test_reminder_goes_out_the_working_day_before_the_deadline_once(wf, talent):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)  # due 09-29

    wf.clock.set(D("2024-09-26"))                           # Thursday: the next working day is Friday, not yet
    assert services.tasks_send_reminders() == 0
    wf.clock.set(D("2024-09-27"))                           # Friday is the working day before the make-up Sunday
    assert services.tasks_send_reminders() == 1
    assert services.tasks_send_reminders() == 0
    assert Notification.objects.filter(recipient=wf.office, title__startswith="即将到期").count() == 1
    assert task.events.filter(kind=EventKind.REMINDED).count() == 1


def test_no_reminders_on_a_rest_day(wf, talent):
    submit(talent)
    assert services.tasks_send_reminders(today=D("2024-09-28")) == 0    # Saturday


def test_an_unclaimed_task_reminds_the_whole_department(wf, talent):
    submit(talent)
    assert services.tasks_send_reminders(today=D("2024-09-27")) == 1
    recipients = set(Notification.objects.filter(title__startswith="即将到期").values_list("recipient", flat=True))
    assert recipients == {wf.office.pk, wf.office2.pk, wf.office_head.pk}


def test_an_overdue_task_escalates_to_the_head_once_and_shows_as_overdue(wf, talent):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)

    wf.clock.set(D("2024-09-29"))
    assert services.tasks_escalate_overdue() == 0           # due today is not overdue yet
    wf.clock.set(D("2024-09-30"))
    assert services.tasks_escalate_overdue() == 1
    assert services.tasks_escalate_overdue() == 0

    task.refresh_from_db()
    assert task.escalated_at is not None
    head_note = Notification.objects.get(recipient=wf.office_head, title__startswith="超期督办")
    assert head_note.deliveries.filter(channel="sms").exists()
    assert Notification.objects.filter(recipient=wf.office, title__startswith="超期督办").exists()
    assert not Notification.objects.filter(recipient=wf.hrss_head, title__startswith="超期督办").exists()
    assert list(queue_for(user=wf.office_head, overdue=True)) == [task]
    assert task.events.get(kind=EventKind.ESCALATED).detail["overdue_working_days"] == 1
    assert AuditEvent.objects.filter(action="workflow.task.escalate", object_id=str(task.pk)).exists()


def test_the_tick_command_and_the_background_task_run_both_jobs(wf, talent, capsys):
    from onestop.workflow.tasks import workflow_tick_task

    submit(talent)
    call_command("workflow_tick", today="2024-10-08")
    assert "escalated 1" in capsys.readouterr().out
    result = workflow_tick_task.enqueue()                   # the test backend runs it immediately
    assert result.return_value == {"reminded": 0, "escalated": 0}


# --- outcome handlers ----------------------------------------------------------------------------------------

def test_outcome_handlers_are_explicit_and_run_once_per_outcome(wf, talent):
    calls = []

    def on_approved(*, case, outcome, actor):
        calls.append((case.pk, outcome, actor))

    outcome_handlers.register("talent_service", CaseStatus.APPROVED, on_approved)
    outcome_handlers.register("talent_service", CaseStatus.APPROVED, on_approved)   # idempotent
    try:
        case = submit(talent)
        services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
        services.task_approve(task=task_of(case, "hrss_confirm"), actor=wf.hrss)
    finally:
        outcome_handlers.unregister("talent_service", CaseStatus.APPROVED, on_approved)
    assert calls == [(case.pk, CaseStatus.APPROVED, wf.hrss)]


def test_a_failing_handler_rolls_back_the_decision(wf, talent):
    def broken(*, case, outcome, actor):
        raise RuntimeError("certificate service down")

    case = submit(talent)
    services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
    outcome_handlers.register("talent_service", CaseStatus.APPROVED, broken)
    try:
        with pytest.raises(RuntimeError):
            services.task_approve(task=task_of(case, "hrss_confirm"), actor=wf.hrss)
    finally:
        outcome_handlers.unregister("talent_service", CaseStatus.APPROVED, broken)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and task_of(case, "hrss_confirm").state == TaskState.PENDING


# --- bulk ------------------------------------------------------------------------------------------------------

def test_bulk_approve_where_the_step_allows_it(wf, talent, other_talent, foreign_talent):
    cases = [submit(t) for t in (talent, other_talent)]
    for case in cases:
        services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
    foreign = submit(foreign_talent.user)
    services.task_approve(task=task_of(foreign, "employer_confirm"), actor=foreign_talent.hr)
    services.task_approve(task=task_of(foreign, "talent_office_review"), actor=wf.office)
    exit_task = task_of(foreign, "exit_entry_check")                                # not bulk-allowed
    hrss_ids = [task_of(c, "hrss_confirm").pk for c in cases]

    result = services.tasks_bulk_decide(task_ids=[*hrss_ids, 999999], actor=wf.hrss, action=TaskAction.APPROVE)
    assert sorted(result.done) == sorted(hrss_ids)
    assert result.failed == {999999: "任务不存在，或您无权访问。"}
    result = services.tasks_bulk_decide(task_ids=[exit_task.pk], actor=wf.exit_entry, action=TaskAction.APPROVE)
    assert result.failed == {exit_task.pk: "“出入境核验（外籍人才）”环节不允许批量办理。"}
    with pytest.raises(ValidationFailed):
        services.tasks_bulk_decide(task_ids=hrss_ids, actor=wf.hrss, action=TaskAction.REJECT, reason="")
    assert Case.objects.filter(status=CaseStatus.APPROVED).count() == 2


# --- definitions are versioned data -----------------------------------------------------------------------------

def test_a_running_case_keeps_its_definition_version(wf, talent, other_talent):
    old_case = submit(talent)
    spec = dict(wf.definition.spec)
    spec["stages"] = [[{**spec["stages"][0][0], "deadline_days": 10}], spec["stages"][1]]

    v2, created = services.definition_publish(spec=spec)
    assert created and v2.version == 2
    assert list(WorkflowDefinition.objects.filter(code="talent_service", is_active=True)) == [v2]
    assert services.definition_publish(spec=spec) == (v2, False)            # unchanged spec: no new version

    new_case = submit(other_talent)
    assert (old_case.definition.version, new_case.definition.version) == (1, 2)
    assert task_of(new_case, "talent_office_review").due_date == D("2024-10-11")
    assert not new_case.tasks.filter(step__code="employer_confirm").exists()
    services.task_approve(task=task_of(old_case, "talent_office_review"), actor=wf.office)
    assert task_of(old_case, "hrss_confirm").step.definition == wf.definition  # v1 steps continue v1


def test_a_faulty_spec_names_every_problem(wf):
    spec = {"code": "broken", "name": "", "stages": [[{"code": "a", "name": "A", "department": "nowhere",
                                                       "deadline_days": 0, "roles": ["talent"],
                                                       "condition": {"attr": "x", "op": "~"}}]]}
    with pytest.raises(ValidationFailed) as exc:
        services.definition_publish(spec=spec)
    errors = exc.value.field_errors["spec"]
    assert any(e.startswith("name：") for e in errors)
    assert any(e.startswith("stages[0][0].department：") for e in errors)
    assert any(e.startswith("stages[0][0].deadline_days：") for e in errors)
    assert any(e.startswith("stages[0][0].roles：") for e in errors)
    assert any(e.startswith("stages[0][0].condition.op：") for e in errors)


def test_load_workflows_command_publishes_the_shipped_specs(depts, capsys):
    # Every app ships its own specs; they name the zone's departments, which are data.
    from onestop.core.demo.accounts import DEPARTMENTS
    from onestop.core.models import Department

    for code, name, name_en, short, order in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                              "short_name": short, "sort_order": order})
    call_command("load_workflows")
    call_command("load_workflows")
    out = capsys.readouterr().out
    assert "talent_service v1: published" in out and "talent_service v1: unchanged" in out


# --- a year without holiday data ---------------------------------------------------------------------------------

def test_a_deadline_in_an_uncovered_year_is_estimated_and_recounted_when_entered(wf, talent, sys_admin):
    wf.clock.set(D("2026-12-28"))
    task = task_of(submit(talent), "talent_office_review")
    assert (task.due_date, task.deadline_estimated) == (D("2027-01-04"), True)   # 12-29,30,31, 01-01?, 01-04
    timeline = case_timeline(case=task.case, viewer=talent)
    assert timeline.estimated is True

    services.calendar_year_enter(year=2027, holidays=[(D("2027-01-01"), "元旦")], workdays=[],
                                 announcement="国办发明电〔2026〕", actor=sys_admin)
    task.refresh_from_db()
    assert (task.due_date, task.deadline_estimated) == (D("2027-01-05"), False)


def test_sms_copies_are_sent_after_the_commit(wf, talent, django_capture_on_commit_callbacks):
    from onestop.core.sms import MemorySmsBackend

    case = submit(talent)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_request_info(task=task_of(case, "talent_office_review"), actor=wf.office, reason="缺材料")
    assert len(MemorySmsBackend.outbox) == 1
