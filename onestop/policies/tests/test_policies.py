"""Catalogue, search, calculator (= rulebook), four-eyes publishing, sandbox, pages and API."""

from __future__ import annotations

import json
from datetime import date

import pytest

from onestop.core.models import AuditEvent
from onestop.policies import selectors, services
from onestop.policies.calculator import calculate
from onestop.policies.choices import VersionStatus
from onestop.policies.errors import FourEyesViolation
from onestop.policies.models import Policy
from onestop.policies.rules import engine_for
from onestop.policies.sandbox import sandbox_simulate, sandbox_try_on

from .conftest import AS_OF

GRADUATE = {"education": "硕士", "birth_date": date(1996, 3, 1), "graduation_date": date(2023, 7, 1),
            "employed_in_zone": True, "insured_months": 4, "owns_home_in_city": False, "title_level": "无",
            "skill_level": "无", "honours": [], "job_seeking": False, "monthly_salary": 1_200_000}


def test_package_loads_once_with_illustrative_marks(package):
    assert Policy.objects.count() == 12
    assert services.policy_load_package() == {"created": 0, "skipped": 12}
    housing = Policy.objects.get(code="medical-city-housing").versions.get()
    assert housing.status == VersionStatus.PUBLISHED
    funding = Policy.objects.get(code="employer-talent-funding").versions.get()
    assert funding.has_illustrative and funding.benefits["employer_funding"]["illustrative"]


@pytest.mark.parametrize(("query", "expected"), [
    ("医学科学城 住房", {"medical-city-housing"}),
    ("博士后", {"phd-postdoc"}),
    ("暖心驿站", {"warm-station"}),
    ("不存在的词语", set()),
])
def test_chinese_full_text_search(package, query, expected):
    assert {p.code for p in selectors.policies_public(q=query)} == expected


def test_filters(package):
    assert {p.code for p in selectors.policies_public(category="housing")} == {
        "medical-city-housing", "high-level-housing-subsidy"}
    assert "employer-talent-funding" in {p.code for p in selectors.policies_public(audience="employer")}
    biomedicine = {p.code for p in selectors.policies_public(industry="biomedicine")}
    assert "medical-city-housing" in biomedicine and "warm-station" in biomedicine
    assert "medical-city-housing" not in {p.code for p in selectors.policies_public(industry="aerospace")}


def test_calculator_matches_rulebook_explanations(package):
    result = calculate(facts=GRADUATE, as_of=AS_OF)
    for version in selectors.versions_in_force(as_of=AS_OF, subject="talent"):
        direct = engine_for(version.document).evaluate(GRADUATE, as_of=AS_OF)
        granted = {g.rule for g in result.grants if g.policy == version.policy.code}
        assert granted == {o.rule.id for o in direct if o.eligible}
        for grant in result.grants:
            if grant.policy == version.policy.code:
                assert grant.amount_fen == direct[grant.rule].amount
    assert result.tier() == "E"
    misses = {n.rule: n for n in result.near_misses}
    living = misses["living_allowance"]
    assert [m.label for m in living.missing] == ["区内社保满 6 个月"]
    assert living.missing[0].actual == "4" and living.legal == "郑港人社〔2024〕6号 第五条"
    assert misses["talent_tier"].target_tier == "D" and misses["talent_tier"].current_tier == "E"


def test_calculator_grants_with_amounts(package):
    facts = {**GRADUATE, "insured_months": 12}
    result = calculate(facts=facts, as_of=AS_OF)
    grants = {g.rule: g for g in result.grants}
    assert grants["living_allowance"].amount_fen == 200000 * 12 and grants["living_allowance"].illustrative
    assert grants["home_purchase_subsidy"].amount_fen == 3_600_000


def test_versions_four_eyes_and_supersede(editors):
    policy = Policy.objects.get(code="warm-station")
    draft = services.policy_version_start(policy=policy, actor=editors.author)
    document = dict(draft.document)
    document["rules"][0]["points"] = 10
    issues = services.policy_version_update(version=draft, actor=editors.author,
                                            document_text=json.dumps(document, ensure_ascii=False),
                                            effective_from=date(2025, 1, 1))
    assert issues == []
    services.policy_version_submit(version=draft, actor=editors.author)
    with pytest.raises(FourEyesViolation):
        services.policy_version_publish(version=draft, actor=editors.author)
    services.policy_version_publish(version=draft, actor=editors.head)
    versions = list(policy.versions.order_by("number"))
    assert [v.status for v in versions] == [VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED]
    assert versions[0].effective_to == date(2024, 12, 31)
    assert AuditEvent.objects.filter(action="policy.version.publish", result="success").exists()
    assert AuditEvent.objects.filter(action="policy.version.publish", result="denied").exists()
    in_force_2024 = {v.policy.code: v.number for v in selectors.versions_in_force(as_of=AS_OF)}
    assert in_force_2024["warm-station"] == 1
    assert {v.policy.code: v.number for v in selectors.versions_in_force(as_of=date(2025, 2, 1))}["warm-station"] == 2


def test_submitter_cannot_publish_even_as_head(editors):
    policy = Policy.objects.get(code="talent-hukou")
    draft = services.policy_version_start(policy=policy, actor=editors.head)
    services.policy_version_submit(version=draft, actor=editors.head)
    with pytest.raises(FourEyesViolation):
        services.policy_version_publish(version=draft, actor=editors.head)
    services.policy_version_publish(version=draft, actor=editors.head2)


def test_invalid_rules_are_reported_in_place_and_block_submission(editors):
    draft = services.policy_version_start(policy=Policy.objects.get(code="warm-station"), actor=editors.author)
    document = dict(draft.document)
    document["rules"][0]["when"]["all"][0] = {">=": [{"attr": "no_such_fact"}, 1]}
    issues = services.policy_version_update(version=draft, actor=editors.author,
                                            document_text=json.dumps(document), effective_from=date(2025, 1, 1))
    assert issues and issues[0]["code"] == "unknown_attribute" and issues[0]["path"].startswith("$.rules[0]")
    with pytest.raises(Exception, match="规则集仍有问题"):
        services.policy_version_submit(version=draft, actor=editors.author)


def test_another_department_cannot_edit(editors, login):
    policy = Policy.objects.get(code="warm-station")
    client = login(editors.housing, otp=True)
    assert client.post(f"/policies/manage/{policy.code}/new-version/").status_code == 404
    assert AuditEvent.objects.filter(action="policy.version.start", result="denied").exists()
    draft = services.policy_version_start(policy=policy, actor=editors.author)
    assert client.get(f"/policies/manage/versions/{draft.pk}/").status_code == 404


def test_sandbox_counts_gainers_and_cost(editors, talent):
    from onestop.talents import services as registry
    from onestop.talents.models import TalentProfile

    TalentProfile.objects.filter(user=talent).update(birth_date=date(1999, 1, 1))
    registry.profile_update(actor=talent, education="bachelor", graduation_date=date(2024, 6, 30), job_seeking=True,
                            homes_declared=True)
    from onestop.core.tests.factories import StaffFactory

    hrss = StaffFactory(department=Policy.objects.get(code="young-graduate-allowance").department)
    draft = services.policy_version_start(policy=Policy.objects.get(code="young-graduate-allowance"), actor=hrss)
    document = dict(draft.document)
    document["rules"][0]["when"]["all"] = document["rules"][0]["when"]["all"][:3]  # drop employment + insurance
    services.policy_version_update(version=draft, actor=hrss, document_text=json.dumps(document),
                                   effective_from=AS_OF)
    data = sandbox_simulate(version=draft, actor=hrss, as_of=AS_OF)
    assert data["people"] == 1 and data["total"]["gainers"] == 1
    assert data["total"]["delta_cost"] == 80000 * 12
    assert data["chart_tier"]["series"][0]["data"] == [1]
    rows = sandbox_try_on(version=draft, actor=hrss, profile_ids=[talent.talent_profile.pk], as_of=AS_OF)
    assert rows[0]["after_total"] == "9,600.00 元" and rows[0]["before_total"] == "0.00 元"


def test_public_pages_and_api(package, client, talent, login):
    assert client.get("/policies/?q=医学科学城").status_code == 200
    page = client.get("/policies/p/medical-city-housing/")
    text = page.content.decode()
    assert page.status_code == 200 and "示例值" in text and "中原医学科学城人才引育办法（2024） 第九条" in text
    assert "≤ 200 ㎡" in text
    assert client.get("/policies/p/nope/").status_code == 404
    anon = client.post("/policies/calculator/", {"education": "硕士", "birth_date": "1996-03-01",
                                                 "graduation_date": "2023-07-01", "employed_in_zone": "1",
                                                 "insured_months": "4", "title_level": "无", "skill_level": "无"})
    assert anon.status_code == 200 and "区内社保满 6 个月" in anon.content.decode()
    api = client.post("/api/v1/policies/calculate", data=json.dumps({**{k: str(v) if isinstance(v, date) else v
                                                                       for k, v in GRADUATE.items()
                                                                       if k != "monthly_salary"}}),
                      content_type="application/json").json()
    assert "living_allowance" in {n["rule"] for n in api["near_misses"]}
    me = login(talent).get("/api/v1/policies/calculate/me")
    assert me.status_code == 200 and "eligible" in me.json()
    assert client.get("/api/v1/policies/?q=博士后").json()[0]["code"] == "phd-postdoc"
