from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    TALENT = "talent", _("人才")
    EMPLOYER = "employer", _("用人单位")
    STAFF = "staff", _("部门工作人员")
    PARTNER = "partner", _("合作服务机构")
    ADMIN = "admin", _("管理员")


class Role(models.TextChoices):
    TALENT = "talent", _("人才")
    EMPLOYER_ADMIN = "employer_admin", _("单位管理员")
    EMPLOYER_HR = "employer_hr", _("单位人事专员")
    DEPT_STAFF = "dept_staff", _("部门经办人")
    DEPT_HEAD = "dept_head", _("部门负责人")
    PARTNER_CHECKER = "partner_checker", _("合作机构核验员")
    AUDITOR = "auditor", _("审计人员（只读）")
    LEADER = "leader", _("领导（只读）")
    SYS_ADMIN = "sys_admin", _("系统管理员")
    SEC_ADMIN = "sec_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


DEPARTMENT_ROLES = (Role.DEPT_STAFF, Role.DEPT_HEAD)
EMPLOYER_ROLES = (Role.EMPLOYER_ADMIN, Role.EMPLOYER_HR)
PARTNER_ROLES = (Role.PARTNER_CHECKER,)
ADMIN_ROLES = (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN)
# Zone-wide roles with no department, enterprise or partner scope. The leader (领导) is a staff account that watches
# the targets dashboard of every department; the auditor is an admin-type account (三员 separation).
UNSCOPED_ROLES = (Role.TALENT, Role.AUDITOR, Role.LEADER, *ADMIN_ROLES)


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class PartnerKind(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    SCHOOL = "school", _("学校")
    BANK = "bank", _("银行")
    PARK = "park", _("园区服务台")
    HOUSING = "housing", _("住房服务窗口")


class NotificationChannel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
