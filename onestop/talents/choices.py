from django.db import models
from django.utils.translation import gettext_lazy as _


class Education(models.TextChoices):
    """Ordered: the order of declaration is the order of the levels (used by rulebook as an ordered enum)."""

    HIGH_SCHOOL = "high_school", _("高中及以下")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class SkillLevel(models.TextChoices):
    NONE = "", _("无")
    SENIOR_WORKER = "senior_worker", _("高级工")
    PRE_TECHNICIAN = "pre_technician", _("预备技师")
    TECHNICIAN = "technician", _("技师")
    SENIOR_TECHNICIAN = "senior_technician", _("高级技师")


class EducationLevel(models.TextChoices):
    """A record of the education history; a postdoctoral stay is recorded like a degree (it is what rules ask)."""

    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")
    POSTDOC = "postdoc", _("博士后")


class QualificationKind(models.TextChoices):
    TITLE = "title", _("专业技术职称")
    AWARD = "award", _("奖项")
    HONOUR = "honour", _("人才称号")
    PROGRAMME = "programme", _("人才计划")


class TitleLevel(models.TextChoices):
    """Ordered like rulebook's ``title_level``."""

    JUNIOR = "junior", _("初级")
    INTERMEDIATE = "intermediate", _("中级")
    ASSOCIATE_SENIOR = "associate_senior", _("副高")
    SENIOR = "senior", _("正高")


class ContractType(models.TextChoices):
    LABOUR = "labour", _("劳动合同")
    PUBLIC = "public", _("事业单位聘用合同")
    FLEXIBLE = "flexible", _("柔性引进（兼职）")


class HukouType(models.TextChoices):
    ZONE = "zone", _("航空港区")
    ZHENGZHOU = "zhengzhou", _("郑州市其他区县")
    HENAN = "henan", _("河南省其他市")
    OTHER = "other", _("外省")
    NONE = "none", _("无中国户籍（外籍）")


class FamilyRelation(models.TextChoices):
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")


class DocumentKind(models.TextChoices):
    DIPLOMA = "diploma", _("学历学位证书")
    CONTRACT = "contract", _("劳动合同")
    CERTIFICATE = "certificate", _("职称/技能/荣誉证书")
    ID_DOCUMENT = "id", _("身份证件")
    OTHER = "other", _("其他证明材料")


class ImportKind(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", _("社保缴纳月份")
    DEGREE = "degree", _("学历学位核验")
    EMPLOYMENT = "employment", _("用人单位在职确认")


class ImportSource(models.TextChoices):
    COMMAND = "command", _("命令行")
    API = "api", _("接口")
    WEB = "web", _("网页上传")


class CertTrack(models.TextChoices):
    STANDARD = "standard", _("人才分类认定（A–E 类）")
    MEDICAL = "medical", _("中原医学科学城人才认定")


class Tier(models.TextChoices):
    """The tiers of both tracks, best first within a track (the catalogue's order)."""

    A = "A", _("A 类 顶尖人才")
    B = "B", _("B 类 国家级领军人才")
    C = "C", _("C 类 地方级领军人才")
    D = "D", _("D 类 地方突出贡献人才")
    E = "E", _("E 类 青年及基础人才")
    INTL = "国际一流", _("国际一流人才（医学科学城）")
    NATIONAL = "国内一流", _("国内一流人才（医学科学城）")
    PROVINCIAL = "省内一流", _("省内一流人才（医学科学城）")


STANDARD_TIERS = ("A", "B", "C", "D", "E")
MEDICAL_TIERS = ("国际一流", "国内一流", "省内一流")


class ApplicationStatus(models.TextChoices):
    REVIEW = "review", _("审核中")
    PUBLICITY = "publicity", _("公示中")
    CERTIFIED = "certified", _("已认定")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    REVOKED = "revoked", _("已撤销")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")


class CertEventKind(models.TextChoices):
    SUBMITTED = "submitted", _("提交认定申请")
    PRECHECK = "precheck", _("规则预审")
    MATERIAL_DUE = "material_due", _("要求补充材料（限期）")
    MATERIAL_EXPIRED = "material_expired", _("逾期未补充材料，视为撤回")
    TIER_DECIDED = "tier_decided", _("确定认定层次")
    PUBLICITY_STARTED = "publicity_started", _("开始公示")
    OBJECTION_FILED = "objection_filed", _("收到异议")
    OBJECTION_RESOLVED = "objection_resolved", _("异议处理")
    PUBLICITY_ENDED = "publicity_ended", _("公示期满")
    CERTIFIED = "certified", _("发放认定证书")
    REJECTED = "rejected", _("认定未通过")
    REVOKED = "revoked", _("撤销认定")
