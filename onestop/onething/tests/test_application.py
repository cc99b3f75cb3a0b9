"""人才一件事: pre-check, shared documents, parallel sub-cases and a dependent one, department scoping, the talent's
single progress view, withdrawal and history."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from onestop.core.exceptions import NotFound, ValidationFailed
from onestop.talents.events import CertificationGranted, certification_events
from onestop.workflow.choices import TaskState
from onestop.workflow.models import Task
from onestop.workflow.selectors import queue_for, task_for
from onestop.workflow.services import task_approve, task_reject, task_request_info

from .. import services
from ..choices import ApplicationStatus, MatterStatus, Verdict
from ..handlers import on_certification_granted
from ..models import ApplicationDocument, ApplicationMatter
from ..selectors import application_progress
from .conftest import make_talent, upload


def _draft(user, codes, *, documents=True):
    application = services.application_start(actor=user)
    services.application_select_matters(application=application, actor=user, codes=codes)
    if documents:
        needed = {c for am in application.matters.select_related("matter") for c in am.matter.documents}
        for code in sorted(needed):
            services.application_attach_document(application=application, actor=user, code=code, upload=upload())
    return application


def _matters(application):
    return {am.matter.code: am for am in ApplicationMatter.objects.filter(application=application)
            .select_related("matter", "case")}


def _task(am):
    return Task.objects.get(case=am.case, state__in=[TaskState.PENDING, TaskState.IN_PROGRESS,
                                                     TaskState.INFO_REQUESTED])


def test_precheck_says_likely_missing_or_not_eligible_and_lists_documents(applicant):
    # given a draft with three matters and no documents yet
    application = _draft(applicant.user, ["living_allowance", "work_permit", "hukou"], documents=False)
    # when it is pre-checked
    checks = {am.matter.code: services.application_precheck(application=application)[am.pk]
              for am in application.matters.select_related("matter")}
    # then the allowance only misses documents, the work permit is refused with the reason, hukou misses documents
    assert checks["living_allowance"].verdict == Verdict.MISSING
    assert any("缺少材料：学历学位证书" in r for r in checks["living_allowance"].reasons)
    assert checks["work_permit"].verdict == Verdict.NOT_ELIGIBLE
    assert any("外籍人才" in r for r in checks["work_permit"].reasons)
    assert [d["code"] for d in checks["hukou"].documents] == ["id", "diploma", "contract"]


def test_missing_registry_data_is_reported_as_missing(zone):
    user, _profile = make_talent(hukou="")
    application = _draft(user, ["hukou"])
    (check,) = services.application_precheck(application=application).values()
    assert check.verdict == Verdict.MISSING
    assert any("户籍" in r for r in check.reasons)


def test_each_document_is_uploaded_once_for_all_matters(applicant):
    # given three matters that all need the ID document and the diploma
    application = _draft(applicant.user, ["living_allowance", "hukou", "apartment"], documents=False)
    # when the ID is uploaded once
    services.application_attach_document(application=application, actor=applicant.user, code="id", upload=upload())
    services.application_attach_document(application=application, actor=applicant.user, code="id", upload=upload())
    # then there is one slot, shared by every matter's check
    assert ApplicationDocument.objects.filter(application=application, code="id").count() == 1
    for check in services.application_precheck(application=application).values():
        assert all(d["attached"] for d in check.documents if d["code"] == "id")
    with pytest.raises(IntegrityError):
        ApplicationDocument.objects.create(application=application, code="id",
                                           document=ApplicationDocument.objects.get(application=application).document)


def test_submit_refuses_a_matter_that_is_not_likely(applicant):
    application = _draft(applicant.user, ["living_allowance", "work_permit"])
    with pytest.raises(ValidationFailed) as exc:
        services.application_submit(application=application, actor=applicant.user)
    assert "matter_work_permit" in exc.value.field_errors
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_parallel_sub_cases_and_the_green_card_waits_for_certification(applicant, zone):
    # given certification, green card, living allowance and hukou in one application
    application = _draft(applicant.user, ["certification", "greencard", "living_allowance", "hukou"])
    checks = services.application_precheck(application=application)
    assert {c.verdict for c in checks.values()} == {Verdict.LIKELY}
    # when it is submitted once
    services.application_submit(application=application, actor=applicant.user)
    m = _matters(application)
    # then three sub-cases run in parallel at three owners, the green card waits
    assert {c: am.status for c, am in m.items()} == {
        "certification": MatterStatus.RUNNING, "greencard": MatterStatus.WAITING,
        "living_allowance": MatterStatus.RUNNING, "hukou": MatterStatus.RUNNING}
    assert _task(m["living_allowance"]).department.code == "hrss"
    assert _task(m["hukou"]).department.code == "talent_office"
    assert m["certification"].case.definition.code == "talent_certification"
    assert m["greencard"].case is None
    # when the registry issues the certificate (after review and publicity)
    # (our subscriber is called directly: the green-card module's own subscriber needs a real certificate)
    assert on_certification_granted in certification_events._handlers[CertificationGranted]
    on_certification_granted(CertificationGranted(
        certificate_id=1, certificate_number="RD-1", profile_id=applicant.profile.pk, talent_user_id=applicant.user.pk,
        track="standard", tier="E", valid_until=applicant.profile.birth_date))
    m = _matters(application)
    # then certification is approved and the green card goes to the talent office
    assert m["certification"].status == MatterStatus.APPROVED
    assert m["greencard"].status == MatterStatus.RUNNING
    assert _task(m["greencard"]).department.code == "talent_office"


def test_a_rejected_prerequisite_cancels_the_dependent_matter(applicant, zone):
    application = _draft(applicant.user, ["certification", "greencard"])
    services.application_submit(application=application, actor=applicant.user)
    cert_case = _matters(application)["certification"].case
    from onestop.workflow.services import case_cancel

    case_cancel(case=cert_case, reason="测试取消")
    m = _matters(application)
    assert m["certification"].status == MatterStatus.CANCELLED
    assert m["greencard"].status == MatterStatus.CANCELLED
    application.refresh_from_db()
    assert application.status == ApplicationStatus.COMPLETED


def test_an_objection_upheld_during_publicity_rejects_the_certification_matter(applicant, zone):
    """The registry emits ``CertificationRejected``; the matter closes as rejected and the green card waiting for it
    is cancelled, without any staff action in the one-thing application."""
    from onestop.core.tests.factories import EmployerUserFactory, TalentFactory
    from onestop.talents import certification as cert
    from onestop.talents.choices import ApplicationStatus as CertStatus
    from onestop.talents.models import CertificationApplication

    # given certification and green card applied for at once, the certification in publicity after review
    application = _draft(applicant.user, ["certification", "greencard"])
    services.application_submit(application=application, actor=applicant.user)
    certification = CertificationApplication.objects.get(pk=_matters(application)["certification"].case.subject_id)
    cert.certification_decide(application=certification, actor=EmployerUserFactory(
        enterprise=applicant.profile.employer), action="approve")
    cert.certification_decide(application=certification, actor=zone.staff["talent_office"], action="approve")
    certification.refresh_from_db()
    assert certification.status == CertStatus.PUBLICITY
    assert _matters(application)["certification"].status == MatterStatus.RUNNING
    # when an objection is upheld
    objection = cert.objection_file(application=certification, actor=TalentFactory(), content="申报所附学历证书与学信网记录不符，系伪造。")
    cert.objection_resolve(objection=objection, actor=zone.staff["talent_office"], upheld=True,
                           resolution="经核查，异议成立。")
    # then the matter is rejected with the reason, the dependent matter cancelled, the application complete
    m = _matters(application)
    assert (m["certification"].status, m["greencard"].status) == (MatterStatus.REJECTED, MatterStatus.CANCELLED)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.COMPLETED
    notes = [h.note for h in application.history.all()]
    assert any("公示异议成立：经核查，异议成立。" in n for n in notes), notes


def test_a_department_sees_only_its_own_tasks(applicant, zone):
    application = _draft(applicant.user, ["living_allowance", "hukou", "apartment"])
    services.application_submit(application=application, actor=applicant.user)
    m = _matters(application)
    hrss = zone.staff["hrss"]
    visible = set(queue_for(user=hrss).values_list("case_id", flat=True))
    assert m["living_allowance"].case_id in visible
    assert m["hukou"].case_id not in visible and m["apartment"].case_id not in visible
    with pytest.raises(NotFound):
        task_for(user=hrss, task_id=_task(m["hukou"]).pk)
    with pytest.raises(NotFound):
        task_approve(task=_task(m["apartment"]), actor=hrss)


def test_one_progress_view_with_outcomes_info_requests_and_ordered_history(applicant, zone):
    # given four matters at three departments
    application = _draft(applicant.user, ["living_allowance", "hukou", "apartment", "greencard"], documents=True)
    # (the green card needs a certification the talent does not have: choose three)
    services.application_select_matters(application=application, actor=applicant.user,
                                        codes=["living_allowance", "hukou", "apartment"])
    services.application_submit(application=application, actor=applicant.user)
    m = _matters(application)
    # when hrss approves, the talent office rejects and housing asks for more material
    task_approve(task=_task(m["living_allowance"]), actor=zone.staff["hrss"])
    task_reject(task=_task(m["hukou"]), actor=zone.staff["talent_office"], reason="户籍材料不符")
    task_request_info(task=_task(m["apartment"]), actor=zone.staff["housing"], reason="请补充租房合同")
    # then one view shows every matter's status, department, deadline and next step, and the request
    progress, history = application_progress(application=application)
    rows = {p.code: p for p in progress}
    assert rows["living_allowance"].status == MatterStatus.APPROVED
    assert rows["hukou"].status == MatterStatus.REJECTED
    assert rows["apartment"].status == MatterStatus.RUNNING
    assert rows["apartment"].department == "housing部门"
    assert rows["apartment"].info_requests and "请补充租房合同" in rows["apartment"].info_requests[0]
    assert "补充材料" in rows["apartment"].next_step
    times = [h.at for h in history]
    assert times == sorted(times)
    texts = " ".join(h.text for h in history)
    assert "提交申请" in texts and "户籍材料不符" in texts
    # when the talent answers the request, the task resumes
    from onestop.workflow.services import case_provide_info

    case_provide_info(case=m["apartment"].case, actor=applicant.user, message="已上传租房合同")
    progress, _history = application_progress(application=application)
    assert not {p.code: p for p in progress}["apartment"].info_requests


def test_withdraw_one_matter_then_the_whole_application(applicant, zone):
    application = _draft(applicant.user, ["living_allowance", "hukou", "certification", "greencard"])
    services.application_submit(application=application, actor=applicant.user)
    m = _matters(application)
    services.matter_withdraw(matter=m["hukou"], actor=applicant.user, reason="暂不落户")
    m = _matters(application)
    assert m["hukou"].status == MatterStatus.WITHDRAWN
    assert m["hukou"].case.status == "withdrawn"
    assert m["living_allowance"].status == MatterStatus.RUNNING
    # a stranger cannot withdraw anything
    stranger, _p = make_talent()
    with pytest.raises(NotFound):
        services.application_withdraw(application=application, actor=stranger)
    services.application_withdraw(application=application, actor=applicant.user, reason="改期申请")
    application.refresh_from_db()
    m = _matters(application)
    assert application.status == ApplicationStatus.WITHDRAWN
    assert {am.status for am in m.values()} == {MatterStatus.WITHDRAWN}
    assert m["certification"].case.status == "withdrawn"


def test_one_draft_per_talent(applicant):
    first = services.application_start(actor=applicant.user)
    assert services.application_start(actor=applicant.user).pk == first.pk
