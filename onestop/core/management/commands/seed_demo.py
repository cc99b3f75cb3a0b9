"""Load the demo data (idempotent): departments, staff with TOTP, the three admins, partner checkers, ~100 employers
and ~2,000 talents with synthetic, valid ID numbers. Refuses to run under production settings."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from onestop.core import crypto
from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, Role
from onestop.core.demo import accounts as demo
from onestop.core.demo import synthetic
from onestop.core.models import Announcement, Department, PartnerOrganization, RoleAssignment, User
from onestop.employers.models import Enterprise
from onestop.engagement.demo import seed_demo_engagement
from onestop.greencards.demo import seed_demo_greencards
from onestop.housing.demo import seed_demo_housing
from onestop.onething.demo import seed_demo_onething
from onestop.talents.demo import seed_demo_talents
from onestop.talents.models import TalentProfile
from onestop.targets.demo import seed_demo_targets
from onestop.workflow.sample import seed_demo_workflows


class Command(BaseCommand):
    help = "Create or complete the demo data set. Safe to run again: existing records are kept."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--talents", type=int, default=2000)
        parser.add_argument("--employers", type=int, default=100)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--quiet-accounts", action="store_true", help="do not print the demo accounts")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("seed_demo never runs under production settings")
        rng = random.Random(opts["seed"])
        self.password_hash = make_password(demo.DEMO_PASSWORD)
        with transaction.atomic():
            departments = self.seed_departments()
            partners = self.seed_partners()
            self.seed_staff(departments)
            self.seed_admins()
            self.seed_leaders()
            self.seed_partner_checkers(partners)
            enterprises = self.seed_enterprises(rng, opts["employers"])
            created = self.seed_talents(rng, opts["talents"], enterprises)
            self.seed_announcements()
            seed_demo_workflows()
            seed_demo_talents()
            seed_demo_greencards(password_hash=self.password_hash)
            seed_demo_onething()
            seed_demo_engagement()
            seed_demo_housing()
            seed_demo_targets()
            audit_record(action="demo.seed", detail={"talents_created": created, "enterprises": len(enterprises)})
        self.stdout.write(self.style.SUCCESS(
            f"demo data ready: {Department.objects.count()} departments, {Enterprise.objects.count()} employers, "
            f"{User.objects.filter(account_type=AccountType.TALENT).count()} talents"))
        if not opts["quiet_accounts"]:
            self.print_accounts(departments)

    # --- organisation -------------------------------------------------------------------------------------------
    def seed_departments(self) -> list[Department]:
        out = []
        for code, name, name_en, short, order in demo.DEPARTMENTS:
            dept, _ = Department.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "short_name": short, "sort_order": order})
            out.append(dept)
        return out

    def seed_partners(self) -> list[PartnerOrganization]:
        out = []
        for code, name, name_en, kind in demo.PARTNERS:
            partner, _ = PartnerOrganization.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "kind": kind})
            out.append(partner)
        return out

    def _account(self, username: str, real_name: str, account_type: str) -> tuple[User, bool]:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user, False
        user = User(username=username, real_name=real_name, account_type=account_type, is_demo=True,
                    password=self.password_hash)
        user.save(force_insert=True)
        return user, True

    def _totp(self, user: User) -> None:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="demo", key=demo.demo_totp_key(user.username or ""),
                                      confirmed=True)

    def _grant(self, user: User, role: str, **scope: Any) -> None:
        exists = RoleAssignment.objects.filter(user=user, role=role, **scope).exists()
        if not exists:
            RoleAssignment.objects.create(user=user, role=role, **scope)

    def seed_staff(self, departments: list[Department]) -> None:
        for i, dept in enumerate(departments):
            for suffix, role, offset in (("staff", Role.DEPT_STAFF, 0), ("head", Role.DEPT_HEAD, 5)):
                name = demo.STAFF_NAMES[(i + offset) % len(demo.STAFF_NAMES)]
                user, _ = self._account(f"{dept.code}_{suffix}", name, AccountType.STAFF)
                self._grant(user, role, department=dept)
                self._totp(user)

    def seed_admins(self) -> None:
        for username, name, role in demo.ADMINS:
            user, created = self._account(username, name, AccountType.ADMIN)
            if created and role in (Role.SYS_ADMIN, Role.SEC_ADMIN):
                User.objects.filter(pk=user.pk).update(is_staff=True)
            self._grant(user, role)
            self._totp(user)

    def seed_leaders(self) -> None:
        for username, name in demo.LEADERS:
            user, _ = self._account(username, name, AccountType.STAFF)
            self._grant(user, Role.LEADER)
            self._totp(user)

    def seed_partner_checkers(self, partners: list[PartnerOrganization]) -> None:
        for partner in partners:
            user, _ = self._account(f"{partner.code}_checker", f"{partner.name}核验员", AccountType.PARTNER)
            self._grant(user, Role.PARTNER_CHECKER, partner=partner)
            self._totp(user)

    # --- employers and talents ----------------------------------------------------------------------------------
    def seed_enterprises(self, rng: random.Random, count: int) -> list[Enterprise]:
        out = []
        for i in range(count):
            industry = synthetic.weighted_industry(rng)
            code = synthetic.make_uscc(rng, i)
            name = synthetic.enterprise_name(rng, industry, i)
            contact = synthetic.person(rng, 900_000 + i, industry=industry, today=timezone.localdate())
            # Draw every random value before looking at the database, so a re-run draws the same sequence.
            address = f"郑州航空港经济综合实验区{rng.choice(['新港大道', '郑港四街', '雁鸣路', '华夏大道'])}{rng.randint(1, 300)}号"
            employees = rng.randint(20, 3000)
            enterprise = Enterprise.objects.filter(uscc=code).first()
            if enterprise is None:
                enterprise = Enterprise.objects.create(
                    uscc=code, name=name, industry=industry, status="active", is_demo=True, address=address,
                    employee_count=employees, legal_representative=contact.real_name)
            phone = f"1360371{i:04d}"
            user = User.objects.filter(phone_index=crypto.blind_index(phone, purpose="phone")).first()
            if user is None:
                user = User(account_type=AccountType.EMPLOYER, real_name=contact.real_name, is_demo=True,
                            password=self.password_hash)
                user.set_phone(phone)
                user.save(force_insert=True)
            self._grant(user, Role.EMPLOYER_ADMIN, enterprise=enterprise)
            out.append(enterprise)
        return out

    def seed_talents(self, rng: random.Random, count: int, enterprises: list[Enterprise]) -> int:
        today = timezone.localdate()
        by_industry: dict[str, list[Enterprise]] = {}
        for e in enterprises:
            by_industry.setdefault(e.industry, []).append(e)
        people = []
        for i in range(count):
            industry = synthetic.weighted_industry(rng)
            people.append((synthetic.person(rng, i, industry=industry, today=today), industry))
        wanted_phone = {crypto.blind_index(p.phone, purpose="phone"): p for p, _ in people}
        wanted_id = {crypto.blind_index(f"resident_id:{p.id_number}", purpose="id"): p for p, _ in people}
        taken_phone = set(User.objects.filter(phone_index__in=list(wanted_phone)).values_list("phone_index", flat=True))
        taken_id = set(User.objects.filter(id_number_index__in=list(wanted_id)).values_list("id_number_index", flat=True))
        seen_phone: set[str] = set()
        seen_id: set[str] = set()
        new_users: list[User] = []
        profiles: list[tuple[User, synthetic.Person, Enterprise | None]] = []
        now = timezone.now()
        for p, industry in people:
            joined_days_ago = rng.randrange(0, 60)
            pool = by_industry.get(industry) or enterprises
            employer = rng.choice(pool) if pool and rng.random() < 0.9 else None
            user = User(account_type=AccountType.TALENT, real_name=p.real_name, is_demo=True,
                        password=self.password_hash, date_joined=now - timedelta(days=joined_days_ago))
            user.set_phone(p.phone)
            user.set_id_number("resident_id", p.id_number)
            if user.phone_index in taken_phone or user.phone_index in seen_phone:
                continue
            if user.id_number_index in taken_id or user.id_number_index in seen_id:
                continue
            seen_phone.add(user.phone_index or "")
            seen_id.add(user.id_number_index or "")
            new_users.append(user)
            profiles.append((user, p, employer))
        User.objects.bulk_create(new_users, batch_size=500)
        # bulk_create sets primary keys on PostgreSQL and SQLite 3.35+; fetch them by index to be safe everywhere.
        ids = dict(User.objects.filter(phone_index__in=[u.phone_index for u in new_users])
                   .values_list("phone_index", "pk"))
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user_id=ids[u.phone_index], role=Role.TALENT) for u in new_users], batch_size=1000)
        TalentProfile.objects.bulk_create([
            TalentProfile(user_id=ids[u.phone_index], gender=p.gender, birth_date=p.birth_date,
                          education=p.education, school=p.school, major=p.major, graduation_date=p.graduation_date,
                          skill_level=p.skill_level, employer=employer, industry=p.industry,
                          job_title=p.job_title if employer else "",
                          employed_since=(p.graduation_date if employer else None))
            for u, p, employer in profiles
        ], batch_size=1000)
        return len(new_users)

    def seed_announcements(self) -> None:
        now = timezone.now()
        for i, (title, title_en, summary, summary_en) in enumerate(demo.ANNOUNCEMENTS):
            Announcement.objects.get_or_create(title=title, defaults={
                "title_en": title_en, "summary": summary, "summary_en": summary_en,
                "published_at": now - timedelta(days=3 * i)})

    def print_accounts(self, departments: list[Department]) -> None:
        w = self.stdout.write
        w("")
        w(f"Demo accounts 演示账号 (password 密码: {demo.DEMO_PASSWORD})")
        w("  talent 人才:            log in with mobile 手机号 登录, e.g. the first talent: see below")
        first = User.objects.filter(account_type=AccountType.TALENT, is_demo=True).order_by("pk").first()
        if first is not None:
            w(f"                          {first.phone}  ({first.real_name})")
        w("  employer 用人单位:       13603710000 … 13603710099")
        w("  department staff 部门:   <dept>_staff / <dept>_head, e.g. talent_office_staff, housing_head")
        w("                          departments: " + ", ".join(d.code for d in departments))
        w("  partner checker 核验员:  " + ", ".join(f"{code}_checker" for code, *_ in demo.PARTNERS))
        w("  三员 admins:             sysadmin, secadmin, auditadmin; read-only auditor: auditor")
        w("  leadership 领导:         " + ", ".join(username for username, _ in demo.LEADERS)
          + "  (targets dashboard 目标看板, read-only 只读)")
        w("  Staff, partner and admin accounts need a one-time code 动态验证码:")
        w("      .venv/bin/python manage.py demo_otp talent_office_staff")
        w("")
