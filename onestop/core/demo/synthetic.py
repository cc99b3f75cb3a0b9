"""Synthetic people and enterprises for the demo and for tests. Deterministic for a given seed.

ID numbers are valid in form (region code, birth date, checksum) but made up; every record created from them is
flagged ``is_demo`` and the seed refuses to run under production settings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric, uscc

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉俊峰浩宇轩睿博文欣怡晨阳思雨佳琪子涵梓萱一诺梦瑶嘉欣天佑昊然")
REGIONS = ["410122", "410102", "410105", "410100", "410221", "420111", "110108", "370102"]
# Most county codes above were assigned in 1983; people born earlier get a code that already existed then.
REGIONS_BEFORE_1983 = ["410100", "110108"]
SCHOOLS = ["郑州大学", "河南大学", "华中科技大学", "西安交通大学", "河南工业大学", "郑州航空工业管理学院",
           "北京航空航天大学", "武汉大学", "河南农业大学", "中原工学院", "郑州轻工业大学", "河南中医药大学"]
MAJORS = {
    "electronic_info": ["电子信息工程", "计算机科学与技术", "集成电路设计", "通信工程", "软件工程"],
    "nev": ["车辆工程", "电气工程及其自动化", "材料科学与工程", "机械设计制造及其自动化"],
    "biomedicine": ["生物医学工程", "药学", "临床医学", "生物技术", "中药学"],
    "aerospace": ["飞行器设计与工程", "航空航天工程", "交通运输（民航）", "机械工程"],
    "logistics": ["物流管理", "国际经济与贸易", "交通运输"],
}
JOBS = ["研发工程师", "高级工程师", "技术总监", "工艺工程师", "质量工程师", "项目经理", "数据分析师", "首席科学家",
        "生产主管", "测试工程师", "技师", "高级技师", "药物研究员", "产品经理"]
INDUSTRY_WEIGHTS = [("electronic_info", 35), ("nev", 20), ("biomedicine", 20), ("aerospace", 15), ("logistics", 10)]
ENTERPRISE_WORDS = {
    "electronic_info": ["智能终端", "芯片", "电子科技", "信息技术", "显示科技", "光电"],
    "nev": ["新能源汽车", "动力电池", "汽车零部件", "电驱科技"],
    "biomedicine": ["生物医药", "医疗器械", "生物科技", "制药"],
    "aerospace": ["航空科技", "航空装备", "无人机", "航空维修"],
    "logistics": ["国际物流", "供应链", "冷链物流"],
}
BRANDS = list("恒华瑞诚鼎盛原港航天嘉宇创新远信达博通汇泰明飞翔启")


@dataclass(frozen=True)
class Person:
    real_name: str
    id_number: str
    phone: str
    gender: str
    birth_date: date
    education: str
    school: str
    major: str
    graduation_date: date
    industry: str
    job_title: str
    skill_level: str


def resident_id(rng: random.Random, birth: date, male: bool) -> str:
    region = rng.choice(REGIONS if birth.year >= 1983 else REGIONS_BEFORE_1983)
    seq = rng.randrange(0, 99) * 10 + rng.randrange(0, 5) * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def mobile(rng: random.Random, index: int) -> str:
    prefix = rng.choice(["139", "138", "137", "136", "135", "150", "151", "158", "186", "187", "188", "177", "199"])
    return f"{prefix}{(index * 7919 + rng.randrange(0, 7919)) % 100_000_000:08d}"


def make_uscc(rng: random.Random, index: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org = "MA" + "".join(rng.choice(alphabet) for _ in range(6)) + alphabet[index % 31]
    body = "91" + rng.choice(["410100", "410122", "410102"]) + org[:9]
    return body + uscc.calc_check_digit(body + "0")


def weighted_industry(rng: random.Random) -> str:
    total = sum(w for _i, w in INDUSTRY_WEIGHTS)
    pick = rng.randrange(total)
    for industry, weight in INDUSTRY_WEIGHTS:
        if pick < weight:
            return industry
        pick -= weight
    return INDUSTRY_WEIGHTS[0][0]


def enterprise_name(rng: random.Random, industry: str, index: int) -> str:
    brand = "".join(rng.sample(BRANDS, 2))
    return f"郑州{brand}{rng.choice(ENTERPRISE_WORDS[industry])}有限公司"


def person(rng: random.Random, index: int, *, industry: str, today: date) -> Person:
    male = rng.random() < 0.58
    edu_roll = rng.random()
    if edu_roll < 0.08:
        education, years = "doctor", 29
    elif edu_roll < 0.30:
        education, years = "master", 25
    elif edu_roll < 0.78:
        education, years = "bachelor", 22
    elif edu_roll < 0.93:
        education, years = "junior_college", 21
    else:
        education, years = "high_school", 18
    age = rng.randint(years + 1, 58) if rng.random() < 0.35 else rng.randint(years + 1, min(years + 12, 58))
    birth = today.replace(year=today.year - age, month=1, day=1) + timedelta(days=rng.randrange(0, 364))
    graduation = date(birth.year + years, 6, 30)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    skill = ""
    if education in ("junior_college", "high_school") and rng.random() < 0.5:
        skill = rng.choice(["senior_worker", "pre_technician", "technician", "senior_technician"])
    return Person(
        real_name=rng.choice(SURNAMES) + given,
        id_number=resident_id(rng, birth, male),
        phone=mobile(rng, index),
        gender="male" if male else "female",
        birth_date=birth,
        education=education,
        school=rng.choice(SCHOOLS),
        major=rng.choice(MAJORS[industry]),
        graduation_date=graduation,
        industry=industry,
        job_title=rng.choice(JOBS),
        skill_level=skill,
    )
