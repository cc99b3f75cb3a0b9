"""Demo organisation data and accounts: departments, staff with TOTP devices, the three admins, partners."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

DEMO_PASSWORD = "OneStop@2024"  # noqa: S105  (documented demo password; demo data never runs in production)

DEPARTMENTS = [
    ("talent_office", "人才工作领导小组办公室", "Talent Office", "人才办", 10),
    ("hrss", "人力资源和社会保障局", "Human Resources & Social Security Bureau", "人社", 20),
    ("housing", "住房和城乡建设局", "Housing & Urban-Rural Development Bureau", "住建", 30),
    ("education", "教育局", "Education Bureau", "教育", 40),
    ("health", "卫生健康委员会", "Health Commission", "卫健", 50),
    ("exit_entry", "公安分局出入境管理大队", "Public Security Exit-Entry Administration", "出入境", 60),
    ("industry_it", "工业和信息化局", "Industry & Information Technology Bureau", "工信", 70),
    ("investment", "投资促进局", "Investment Promotion Bureau", "招商", 80),
    ("charity", "慈善总会", "Charity Federation", "慈善", 90),
    ("urban_renewal", "城市更新局", "Urban Renewal Bureau", "城市更新", 100),
]

PARTNERS = [
    ("hospital_central", "航空港区中心医院", "Airport Zone Central Hospital", "hospital"),
    ("school_experimental", "航空港区第一实验学校", "Airport Zone No.1 Experimental School", "school"),
    ("bank_service", "港区人才服务银行网点", "Zone Talent Banking Desk", "bank"),
    ("park_biomed", "临空生物医药园服务台", "Airport Biomedicine Park Desk", "park"),
]

ADMINS = [
    ("sysadmin", "系统管理员", "sys_admin"),
    ("secadmin", "安全管理员", "sec_admin"),
    ("auditadmin", "审计管理员", "audit_admin"),
    ("auditor", "审计员", "auditor"),
]

# The leadership (领导): a staff account with the zone-wide, read-only leader role (the targets dashboard).
LEADERS = [
    ("leader", "示例领导"),
]

STAFF_NAMES = ["李明", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周涛", "吴敏"]


def demo_totp_key(username: str) -> str:
    """A stable TOTP secret per demo account, so `manage.py demo_otp NAME` can show the current code."""
    return hmac.new(str(settings.DEMO_OTP_SEED).encode(), username.encode(), hashlib.sha1).hexdigest()


ANNOUNCEMENTS = [
    ("2024 年“中原特区人才计划”政策包发布", "2024 Zhongyuan Special Zone Talent Plan policy package released",
     "对省、市、区认定的高层次人才用人单位，给予最高 500 万元引才育才工作经费；中原医学科学城新引进培育的国际一流、国内一流、省内一流人才，分别给予最高 200、180、120 平方米人才住房。",
     "Employers of recognised high-level talents receive up to 5 million yuan of work funding; top talents at the "
     "Zhongyuan Medical Science City receive talent housing of up to 200, 180 or 120 square metres."),
    ("人才绿卡服务全面上线", "Talent green card services online",
     "持卡人才可享受配偶安置、子女入学、住房保障、医疗保健等服务，外国人来华工作许可同步办理。",
     "Card holders get spouse job placement, school places, housing and medical care; foreigners' work permits "
     "are handled together."),
    ("“人才一件事”一次办、普惠政策全程网办", "One application for many matters; inclusive policies fully online",
     "人才认定、生活补贴、住房保障等事项合并为一件事，一次申请，多部门并联办理。",
     "Certification, living allowances and housing are combined into one matter handled once by all departments."),
    ("2024 年重点产业技术需求榜发布", "2024 key-industry technology needs list published",
     "面向电子信息、新能源汽车、生物医药、航空航天产业发布关键技术需求，欢迎国内外高校院所专家揭榜，兼职兼薪、按劳取酬。",
     "Key technology needs of the electronic information, new-energy vehicle, biomedicine and aerospace industries; "
     "researchers at home and abroad may take them on part-time and be paid by work."),
    ("暖心驿站：来港求职最多 7 晚免费住宿", "Warm stations: up to 7 free nights for job seekers",
     "本科及以上学历或预备技师、技师，毕业前 1 年至毕业后 2 年内来港求职面试，可申请免费入住。",
     "Bachelor graduates or (pre-)technicians from one year before to two years after graduation coming for "
     "interviews may stay free of charge."),
]
