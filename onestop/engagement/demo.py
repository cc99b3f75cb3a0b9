"""Demo data for ``manage.py seed_demo`` (one call): jobs, events with registrations and check-ins, a dozen
published needs with researchers and applications and one signed contract, 区聘企用 placements, officials' assigned
enterprises with plans, visits and problems in every state (one talent-related, on the workflow). Bulk inserts
where no business rule is at stake; idempotent (a second run adds nothing)."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from onestop.core.choices import AccountType, Role
from onestop.core.models import Department, User
from onestop.employers.choices import JobStatus
from onestop.employers.models import EDUCATION_VALUES, Enterprise, Job, Placement
from onestop.workflow import calendar as wd

from . import matching
from .choices import (
    EventKind,
    EventStatus,
    EventVenue,
    NeedStatus,
    ProblemStatus,
    ProblemUpdateKind,
)
from .models import (
    Event,
    EventRegistration,
    Need,
    NeedApplication,
    Problem,
    ProblemUpdate,
    ResearcherProfile,
    Visit,
    VisitAssignment,
    VisitPlan,
)

JOB_TITLES = {
    "electronic_info": ["嵌入式软件工程师", "芯片测试工程师", "智能终端结构工程师"],
    "nev": ["电池管理系统工程师", "电驱控制工程师", "整车测试工程师"],
    "biomedicine": ["药物研发研究员", "临床注册专员", "生物工艺工程师"],
    "aerospace": ["航空维修工程师", "适航工程师", "航材供应链主管"],
    "logistics": ["航空货运调度", "冷链物流主管", "关务专员"],
    "other": ["行政主管", "财务会计", "人力资源专员"],
}
NEEDS = [
    ("机载嵌入式实时操作系统", "aerospace", "开发适用于航空电子设备的嵌入式实时操作系统，支持多核调度、故障诊断与适航认证所需的软件验证。"),
    ("动力电池热失控早期预警", "nev", "研发动力电池热失控早期预警算法，融合电压、温度与气体传感器数据，实现提前预警。"),
    ("高通量药物筛选平台", "biomedicine", "建设高通量药物筛选平台，支持自动化细胞实验、图像分析与化合物活性评价。"),
    ("智能终端天线小型化设计", "electronic_info", "面向智能手机终端的多频段天线小型化与射频性能优化设计。"),
    ("航空货运智能配载算法", "logistics", "基于运筹优化的航空货运智能配载算法，提高舱位利用率与装载安全性。"),
    ("电驱系统碳化硅功率模块", "nev", "碳化硅功率模块封装与热管理设计，提升电驱系统效率与功率密度。"),
    ("细胞治疗冷链质控", "biomedicine", "细胞治疗产品冷链运输过程的温度监测、追溯与质量控制方案。"),
    ("显示面板缺陷视觉检测", "electronic_info", "基于深度学习的显示面板缺陷视觉检测系统，支持产线实时检测。"),
    ("复合材料无损检测", "aerospace", "航空复合材料构件超声与红外无损检测方法及自动化检测装备。"),
    ("车规级芯片可靠性测试", "electronic_info", "车规级芯片可靠性测试方法与失效分析，满足功能安全要求。"),
    ("氢燃料电池膜电极", "nev", "氢燃料电池膜电极制备工艺优化，提升耐久性并降低铂载量。"),
    ("医疗器械软件注册合规", "biomedicine", "医疗器械软件注册申报的合规体系建设与网络安全评估。"),
]
RESEARCHERS = [
    ("郑州大学", "嵌入式实时操作系统、多核调度与航空电子软件验证", False),
    ("北京航空航天大学", "机载软件适航认证、故障诊断与复合材料无损检测", True),
    ("清华大学", "动力电池热失控预警与电池管理系统算法", True),
    ("河南大学", "药物筛选、细胞实验自动化与图像分析", False),
    ("上海交通大学", "射频天线小型化设计与智能终端射频优化", True),
    ("中科院郑州分院", "运筹优化、航空货运配载与物流调度算法", False),
    ("浙江大学", "碳化硅功率模块封装、热管理与电驱系统", True),
    ("郑州轻工业大学", "深度学习视觉检测与显示面板缺陷识别", False),
]
PROBLEMS = [
    ("夜班职工通勤难", "厂区周边夜间无公交班次。", "hrss"),
    ("技能人才招聘难", "一线技术工人缺口较大。", "hrss"),
    ("研发费用加计扣除咨询", "希望了解研发费用加计扣除政策。", "industry_it"),
    ("厂房扩建审批", "二期厂房扩建审批进度咨询。", "investment"),
    ("人才公寓申请", "新引进硕士希望申请人才公寓。", "housing"),
    ("设备技改补贴", "技改项目补贴申报指导。", "industry_it"),
]


def seed_demo_engagement(*, seed: int = 2024) -> dict[str, int]:
    if Event.objects.filter(is_demo=True).exists():
        return {"created": 0}
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    enterprises = list(Enterprise.objects.filter(is_demo=True, status="active").order_by("pk")[:60])
    talents = list(User.objects.filter(account_type=AccountType.TALENT, is_demo=True,
                                       talent_profile__isnull=False).order_by("pk")[:400])
    departments = {d.code: d for d in Department.objects.all()}
    staff = {str(u.username): u for u in User.objects.filter(username__in=[
        "talent_office_staff", "investment_staff", "investment_head", "hrss_staff", "industry_it_staff"])}
    if not enterprises or not talents or "talent_office" not in departments or "talent_office_staff" not in staff:
        return {"created": 0}
    counts: dict[str, int] = {}
    counts["jobs"] = _jobs(rng, enterprises, now)
    counts["events"] = _events(rng, talents, departments["talent_office"], staff["talent_office_staff"], now)
    counts["needs"] = _needs(rng, enterprises, talents, staff["talent_office_staff"], now, today)
    counts["placements"] = _placements(enterprises, talents, staff["talent_office_staff"], today)
    if "investment_staff" in staff:
        counts["problems"] = _visits(rng, enterprises, departments, staff, today)
    return counts


def _jobs(rng: random.Random, enterprises: list[Enterprise], now: Any) -> int:
    jobs = []
    for i, e in enumerate(enterprises[:40]):
        for k in range(2):
            title = JOB_TITLES.get(e.industry, JOB_TITLES["other"])[(i + k) % 3]
            education = EDUCATION_VALUES[rng.choice([1, 2, 2, 3, 4])]
            low = rng.randint(5, 15) * 100_000
            jobs.append(Job(enterprise=e, title=title, industry=e.industry, education_min=education,
                            education_rank=EDUCATION_VALUES.index(education), description=f"{title}：负责相关研发与生产工作。",
                            salary_min_fen=low, salary_max_fen=low + rng.randint(2, 10) * 100_000,
                            headcount=rng.randint(1, 10), status=JobStatus.PUBLISHED,
                            published_at=now - timedelta(days=rng.randint(0, 60)), is_demo=True))
    Job.objects.bulk_create(jobs)
    return len(jobs)


def _events(rng: random.Random, talents: list[User], department: Department, organiser: User, now: Any) -> int:
    specs = [(EventKind.RECRUITMENT, EventVenue.BEIJING, "空中丝路引才行动·北京站", "北京人才服务站"),
             (EventKind.RECRUITMENT, EventVenue.SHANGHAI, "空中丝路引才行动·上海站", "上海人才服务站"),
             (EventKind.RECRUITMENT, EventVenue.OUTSIDE, "名校行·武汉专场", "武汉大学"),
             (EventKind.RECRUITMENT, EventVenue.ZONE, "重点产业专场招聘会", "航空港区人才市场"),
             (EventKind.PUBLICITY, EventVenue.ZONE, "2024 人才政策包宣讲会", "港区会议中心"),
             (EventKind.PUBLICITY, EventVenue.ZONE, "引才育才工作经费申报辅导", "港区政务服务中心"),
             (EventKind.PUBLICITY, EventVenue.ZONE, "人才绿卡进园区", "临空生物医药园"),
             (EventKind.RECRUITMENT, EventVenue.BEIJING, "博士后专场对接会", "北京人才服务站")]
    events, regs = [], []
    for i, (kind, venue, title, location) in enumerate(specs * 2):
        past = i < len(specs)
        start = now + timedelta(days=(-rng.randint(10, 120) if past else rng.randint(5, 60)))
        events.append(Event(kind=kind, venue_kind=venue, title=title if past else f"{title}（下期）", location=location,
                            starts_at=start, ends_at=start + timedelta(hours=3), capacity=200,
                            status=EventStatus.FINISHED if past else EventStatus.PUBLISHED, department=department,
                            created_by=organiser, published_at=start - timedelta(days=20), is_demo=True))
    Event.objects.bulk_create(events)
    for event in events:
        people = rng.sample(talents, k=min(len(talents), rng.randint(20, 60)))
        for person in people:
            checked = event.status == EventStatus.FINISHED and rng.random() < 0.8
            regs.append(EventRegistration(event=event, user=person, token=secrets.token_urlsafe(24), is_demo=True,
                                          registered_at=event.starts_at - timedelta(days=3),
                                          checked_in_at=event.starts_at if checked else None,
                                          checked_in_by=organiser if checked else None))
        event.registered_count = len(people)
    EventRegistration.objects.bulk_create(regs, batch_size=500)
    Event.objects.bulk_update(events, ["registered_count"])
    return len(events)


def _needs(rng: random.Random, enterprises: list[Enterprise], talents: list[User], reviewer: User, now: Any,
           today: date) -> int:
    from .services.needs import contract_declare, contract_set_milestones, contract_sign, need_select

    owners = {e.pk: User.objects.filter(role_assignments__enterprise=e,
                                        role_assignments__role=Role.EMPLOYER_ADMIN).first() for e in enterprises[:12]}
    needs = []
    for i, (title, field, text) in enumerate(NEEDS):
        e = enterprises[i % len(enterprises)]
        needs.append(Need(enterprise=e, title=title, field=field, description=text,
                          budget_fen=rng.randint(20, 200) * 1_000_000, deadline=today + timedelta(days=rng.randint(20, 90)),
                          status=NeedStatus.PUBLISHED, keywords=matching.keywords(f"{title} {text}"),
                          reviewed_by=reviewer, reviewed_at=now, created_by=owners.get(e.pk) or reviewer,
                          published_at=now - timedelta(days=rng.randint(1, 30)), is_demo=True))
    Need.objects.bulk_create(needs)
    researchers = []
    for (institution, expertise, external), user in zip(RESEARCHERS, talents[-len(RESEARCHERS):], strict=False):
        researchers.append(ResearcherProfile(user=user, institution=institution, expertise=expertise,
                                             is_external=external, title="教授" if external else "副教授",
                                             keywords=matching.keywords(expertise)))
    ResearcherProfile.objects.bulk_create(researchers, ignore_conflicts=True)
    researchers = list(ResearcherProfile.objects.filter(user__in=[r.user for r in researchers]))
    apps = []
    for need in needs:
        for r, _score, _w in matching.rank(need.keywords, researchers, limit=2, minimum=0.0) or []:
            apps.append(NeedApplication(need=need, researcher=r, quote_fen=need.budget_fen * 8 // 10, is_demo=True,
                                        proposal=f"针对“{need.title}”，{r.institution}团队提出分两期实施的技术方案。"))
    NeedApplication.objects.bulk_create(apps, ignore_conflicts=True)
    first = NeedApplication.objects.filter(need=needs[0]).select_related("need", "researcher__user").first()
    owner = owners.get(needs[0].enterprise_id)
    if first is not None and owner is not None:
        contract = need_select(actor=owner, application=first)
        half = contract.total_fen // 2
        contract_set_milestones(actor=owner, contract=contract, milestones=[
            {"title": "方案设计与原型", "deliverable": "设计文档与原型系统", "amount_fen": half,
             "due_date": today + timedelta(days=90)},
            {"title": "验证与交付", "deliverable": "验证报告与源代码", "amount_fen": contract.total_fen - half,
             "due_date": today + timedelta(days=180)}])
        contract_declare(actor=first.researcher.user, contract=contract,
                         ip_declaration="项目成果知识产权归发榜企业所有，揭榜方享有署名权。",
                         coi_declaration="无利益冲突：本人与发榜企业无任职、持股或亲属关系。")
        contract_sign(actor=owner, contract=contract)
    return len(needs)


def _placements(enterprises: list[Enterprise], talents: list[User], creator: User, today: date) -> int:
    rows = [Placement(profile_id=t.talent_profile.pk, enterprise=e, contract_no=f"QPQY-DEMO-{i:03d}", position="研发负责人",
                      start_date=today - timedelta(days=200), end_date=today + timedelta(days=530),
                      monthly_cost_fen=3_000_000, zone_share_pct=60, enterprise_share_pct=40, created_by=creator,
                      is_demo=True)
            for i, (t, e) in enumerate(zip(talents[:3], enterprises[:3], strict=False))]
    Placement.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _visits(rng: random.Random, enterprises: list[Enterprise], departments: dict[str, Department],
            staff: dict[str, User], today: date) -> int:
    from .services.visits import visit_log

    official = staff["investment_staff"]
    assigned = enterprises[:8]
    VisitAssignment.objects.bulk_create([VisitAssignment(official=official, enterprise=e,
                                                          assigned_by=staff.get("investment_head"))
                                         for e in assigned], ignore_conflicts=True)
    month = today.replace(day=1)
    calendar = wd.WorkingCalendar()
    plans = [VisitPlan(official=official, enterprise=e, month=month, planned_date=month + timedelta(days=i),
                       topic="政策宣讲与人才需求摸排", is_demo=True) for i, e in enumerate(assigned)]
    VisitPlan.objects.bulk_create(plans, ignore_conflicts=True)
    states = [ProblemStatus.OPEN, ProblemStatus.REPLIED, ProblemStatus.IN_PROGRESS, ProblemStatus.RESOLVED,
              ProblemStatus.CLOSED, ProblemStatus.CLOSED]
    now = timezone.now()
    made = 0
    for i, e in enumerate(assigned[:6]):
        visited = today - timedelta(days=3 + i * 4)
        visit = Visit.objects.create(official=official, enterprise=e, visited_on=visited, participants="企业负责人、人事经理",
                                     explained="2024 年人才政策包、引才育才工作经费、人才绿卡", needs_heard="招聘与人才住房",
                                     is_demo=True)
        admin = User.objects.filter(role_assignments__enterprise=e).first()
        for j, state in enumerate(states):
            title, text, dept = PROBLEMS[(i + j) % len(PROBLEMS)]
            department = departments.get(dept) or departments["talent_office"]
            due = calendar.deadline(visited, 7)
            replied = state != ProblemStatus.OPEN
            closed = state == ProblemStatus.CLOSED
            p = Problem.objects.create(
                visit=visit, enterprise=e, title=title, description=text, owner_department=department, status=state,
                raised_on=visited, reply_due=due.due_date, reply_due_estimated=due.estimated,
                first_reply_at=now if replied else None,
                resolved_at=now if state in (ProblemStatus.RESOLVED, ProblemStatus.CLOSED) else None,
                closed_at=now if closed else None, confirmed_by=admin if closed else None,
                satisfaction=rng.randint(4, 5) if closed else None, is_demo=True)
            updates = [ProblemUpdate(problem=p, kind=ProblemUpdateKind.RAISED, text=text, actor=official)]
            if replied:
                updates.append(ProblemUpdate(problem=p, kind=ProblemUpdateKind.REPLY, text="已受理，正在协调。"))
            if closed:
                updates.append(ProblemUpdate(problem=p, kind=ProblemUpdateKind.CONFIRM, text="企业确认已解决。",
                                             actor=admin))
            ProblemUpdate.objects.bulk_create(updates)
            made += 1
    visit_log(actor=official, enterprise=assigned[0], visited_on=today, participants="企业人事经理",
              explained="人才绿卡与配偶安置政策", is_demo=True,
              problems=[{"title": "引进博士配偶就业", "description": "新引进博士的配偶需要在港区安置工作。",
                         "talent_related": True}])
    return made + 1


__all__ = ["seed_demo_engagement"]
