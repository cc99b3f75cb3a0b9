"""Registry: facts (one person vs the polars frame), uploads, access to documents and children, imports."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import AuditEvent
from onestop.core.tests.factories import DepartmentFactory, EnterpriseFactory, StaffFactory, TalentFactory
from onestop.talents import services
from onestop.talents.facts import FACT_NAMES, facts_for, registry_frame
from onestop.talents.importer import registry_import
from onestop.talents.models import (
    Certificate,
    CertificationApplication,
    EducationRecord,
    SocialInsuranceMonth,
)
from onestop.talents.permissions import can_see_children

AS_OF = date(2024, 9, 23)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _varied_registry():
    enterprise = EnterpriseFactory(industry="biomedicine")
    people = [TalentFactory() for _ in range(5)]
    a, b, c, d, _e = people
    services.profile_update(actor=a, education="master", graduation_date=date(2023, 7, 1), skill_level="technician",
                            industry="biomedicine", job_seeking=True)
    services.education_add(actor=a, level="doctor", school="牛津大学", country="英国",
                           graduation_date=date(2024, 6, 30))
    services.education_add(actor=a, level="postdoc", school="郑州大学", graduation_date=date(2024, 8, 1))
    services.qualification_add(actor=a, kind="title", name="研究员", title_level="senior")
    services.qualification_add(actor=a, kind="honour", name="国家杰青")
    services.qualification_add(actor=a, kind="award", name="省科技进步奖")
    services.employment_add(actor=a, uscc=enterprise.uscc, start_date=date(2024, 1, 1), monthly_salary_fen=2_000_000)
    services.household_set(actor=a, hukou_type="henan")
    services.home_add(actor=a, city="洛阳")
    services.family_add(actor=a, relation="spouse", name="配偶甲")
    services.family_add(actor=a, relation="child", name="孩子甲", birth_date=date(2018, 3, 1), school_stage="primary")
    services.family_add(actor=a, relation="child", name="孩子乙", birth_date=date(2020, 3, 1))
    for month in (1, 2, 3):
        SocialInsuranceMonth.objects.create(profile=a.talent_profile, month=date(2024, month, 1))
    SocialInsuranceMonth.objects.create(profile=a.talent_profile, month=date(2025, 1, 1))  # after as_of
    services.profile_update(actor=b, homes_declared=True, education="doctor")
    services.home_add(actor=c, city="郑州市航空港区")
    services.qualification_add(actor=c, kind="title", name="工程师", title_level="intermediate")
    d.talent_profile.nationality = "德国"
    d.talent_profile.save()
    return people


def test_facts_for_one_person_and_the_registry_frame_agree(db):
    people = _varied_registry()
    frame = registry_frame(as_of=AS_OF)
    rows = {r["person_id"]: r for r in frame.to_dicts()}
    assert len(rows) == len(people)
    for user in people:
        user.talent_profile.refresh_from_db()
        one = facts_for(user.talent_profile, as_of=AS_OF)
        row = rows[user.talent_profile.pk]
        assert {k: row[k] for k in FACT_NAMES} == one, user
    a = facts_for(people[0].talent_profile, as_of=AS_OF)
    assert a["education"] == "博士" and a["postdoc"] and a["overseas_degree"]
    assert a["title_level"] == "正高" and a["honours"] == ["国家杰青"] and a["insured_months"] == 3
    assert a["owns_home_in_city"] is False and a["children_count"] == 2 and a["hukou"] == "河南省其他市"
    assert facts_for(people[1].talent_profile, as_of=AS_OF)["owns_home_in_city"] is False
    assert facts_for(people[2].talent_profile, as_of=AS_OF)["owns_home_in_city"] is True
    assert facts_for(people[4].talent_profile, as_of=AS_OF)["owns_home_in_city"] is None  # not declared: unknown
    assert facts_for(people[3].talent_profile, as_of=AS_OF)["foreign"] is True


def test_upload_is_checked_by_content_not_name(talent):
    fake = SimpleUploadedFile("diploma.pdf", b"MZ\x90\x00 this is an exe", content_type="application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(actor=talent, kind="diploma", upload=fake)
    assert "PDF、JPEG 或 PNG" in exc.value.field_errors["file"][0]
    png_named_pdf = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    document = services.document_upload(actor=talent, kind="diploma", upload=png_named_pdf)
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png") and "scan" not in document.file.name
    assert document.original_name == "scan.pdf"


def test_upload_size_limit(talent, settings):
    settings.ONESTOP_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
    with pytest.raises(ValidationFailed) as exc:
        services.document_upload(actor=talent, kind="diploma", upload=big)
    assert "不能超过" in exc.value.field_errors["file"][0]


def test_documents_are_served_only_to_the_owner_as_attachment(talent, other_talent, login):
    document = services.document_upload(actor=talent, kind="diploma",
                                        upload=SimpleUploadedFile("d.pdf", PDF))
    response = login(talent).get(f"/talent/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    denied = login(other_talent).get(f"/talent/documents/{document.pk}/download/")
    assert denied.status_code == 404
    assert AuditEvent.objects.filter(action="talent.document.download", result="denied",
                                     object_id=str(document.pk)).exists()


def test_someone_elses_record_cannot_be_deleted(talent, other_talent, login):
    record = services.education_add(actor=talent, level="bachelor", school="郑州大学",
                                    graduation_date=date(2020, 7, 1))
    response = login(other_talent).post(f"/talent/profile/education/{record.pk}/delete/")
    assert response.status_code == 404
    assert EducationRecord.objects.filter(pk=record.pk).exists()
    assert AuditEvent.objects.filter(action="talent.education.delete", result="denied").exists()


def test_children_data_is_encrypted_and_visible_only_to_serving_departments(talent, db):
    from django.db import connection

    child = services.family_add(actor=talent, relation="child", name="王小明", birth_date=date(2017, 5, 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM talents_familymember WHERE id = %s", [child.pk])
        stored = cursor.fetchone()[0]
    assert "王小明" not in stored
    profile = talent.talent_profile
    assert can_see_children(talent, profile)
    education = StaffFactory(department=DepartmentFactory(code="education"))
    housing = StaffFactory(department=DepartmentFactory(code="housing"))
    assert can_see_children(education, profile)
    assert not can_see_children(housing, profile)


def test_import_is_idempotent_and_reports_bad_rows_with_line_and_reason(talent, staff):
    enterprise = EnterpriseFactory()
    csv_text = ("external_id,id_number,month,uscc\n"
                f"si-1,{talent.id_number},2024-01,{enterprise.uscc}\n"
                f"si-2,{talent.id_number},2024-02,\n"
                "si-3,110101199001011234,2024-03,\n"
                f"si-4,{talent.id_number},2024-13,\n")
    first = registry_import(kind="social_insurance", content=csv_text, fmt="csv", actor=staff)
    assert (first.created, first.failed) == (2, 2)
    assert [e["line"] for e in first.errors] == [4, 5]
    assert "未在平台注册" in first.errors[0]["reason"] and "不是有效日期" in first.errors[1]["reason"]
    again = registry_import(kind="social_insurance", content=csv_text, fmt="csv", actor=staff)
    assert (again.created, again.unchanged, again.failed) == (0, 2, 2)
    assert SocialInsuranceMonth.objects.filter(profile=talent.talent_profile).count() == 2
    degrees = json.dumps([{"external_id": "xl-1", "id_number": talent.id_number, "level": "硕士",
                           "school": "郑州大学", "graduation_date": "2022-06-30"},
                          {"external_id": "xl-2", "id_number": talent.id_number, "level": "中专",
                           "school": "x", "graduation_date": "2010-06-30"}])
    run = registry_import(kind="degree", content=degrees, fmt="json", actor=staff)
    assert (run.created, run.failed, run.errors[0]["line"]) == (1, 1, 2)
    assert EducationRecord.objects.get(external_id="xl-1").verified


def test_import_needs_the_capability_and_the_api_reports(talent, other_talent, staff, login):
    with pytest.raises(NotFound):
        registry_import(kind="degree", content="[]", fmt="json", actor=other_talent)
    body = json.dumps([{"external_id": "e-1", "id_number": talent.id_number, "uscc": "X" * 18,
                        "start_date": "2024-01-01"}])
    client = login(staff, otp=True)
    response = client.post("/api/v1/talents/imports/employment", data=body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["failed"] == 1 and "未在平台注册" in response.json()["errors"][0]["reason"]
    assert login(talent).post("/api/v1/talents/imports/employment", data=body,
                              content_type="application/json").status_code == 404


def test_models_carry_invariants(talent):
    from django.db import IntegrityError, transaction

    services.family_add(actor=talent, relation="spouse", name="甲")
    with pytest.raises(Conflict), transaction.atomic():
        services.family_add(actor=talent, relation="spouse", name="乙")
    with pytest.raises(IntegrityError), transaction.atomic():
        SocialInsuranceMonth.objects.bulk_create([SocialInsuranceMonth(profile=talent.talent_profile,
                                                                        month=date(2024, 1, 1))] * 2)
    assert Certificate.objects.count() == CertificationApplication.objects.count() == 0
