"""The shipped targets: every 2024 target of the source article (../shared/domain/brief.md, "2024 targets"), the
platform's monitoring indicators, and the 2023 results as historical figures. Data, loaded by
``manage.py load_targets`` (idempotent); departments change them afterwards on the admin site.

``measure`` names a measure of ``measures.MEASURES`` (counted live from the records) or ``reported`` (entered by the
owner department each month with source and evidence, because the platform holds no record of it).
"""

from __future__ import annotations

from typing import Any

SOURCE_2024 = "2024 年“中原特区人才计划”政策包及年度目标（报纸原文）"
SOURCE_2023 = "2023 年工作成效（报纸原文）"

# Graduation season: the monthly plan for graduates' employment (shares of the year's target per month). A
# configuration value the owner department adjusts; every other target is paced linearly through the year.
GRADUATION_SEASON = [4, 4, 6, 6, 8, 12, 16, 14, 10, 8, 6, 6]

TARGETS_2024: list[dict[str, Any]] = [
    {"code": "employed_new", "title": "新增就业人数", "title_en": "People newly employed in the zone",
     "measure": "employed_new", "target_value": 100000, "unit": "人", "owner": "hrss"},
    {"code": "graduates_employed", "title": "高校毕业生就业创业", "title_en": "Young college graduates employed",
     "measure": "graduates_employed", "target_value": 50000, "unit": "人", "owner": "hrss",
     "pace": "monthly", "monthly_profile": GRADUATION_SEASON,
     "note": "平台统计就业；自主创业暂无平台记录。月度计划按毕业季设置。"},
    {"code": "skilled_employed", "title": "技能人才就业", "title_en": "Skilled workers employed",
     "measure": "skilled_employed", "target_value": 50000, "unit": "人", "owner": "hrss"},
    {"code": "phd_recruited", "title": "新引进博士、博士后", "title_en": "New PhDs and postdocs recruited",
     "measure": "phd_recruited", "target_value": 10, "at_least": True, "unit": "人", "owner": "hrss"},
    {"code": "nominations", "title": "推荐申报省市区高层次人才", "title_en": "Nominations for high-level talent",
     "measure": "nominations", "target_value": 25, "at_least": True, "unit": "人", "owner": "talent_office"},
    {"code": "industry_declarations", "title": "产业人才申报", "title_en": "Industry-talent declarations",
     "measure": "reported", "target_value": 500, "at_least": True, "unit": "人", "owner": "talent_office",
     "note": "产业人才由企业向主管部门申报，平台无对应记录，由人才办按月填报并上传佐证。"},
    {"code": "skilled_new", "title": "新增技能人才", "title_en": "New skilled talents",
     "measure": "reported", "target_value": 10000, "unit": "人", "owner": "hrss",
     "note": "技能人才含初级工、中级工，平台档案只登记高级工及以上，由人社局依据职业技能等级认定系统按月填报。"},
    {"code": "high_skilled_new", "title": "新增高技能人才", "title_en": "New high-skilled talents",
     "measure": "high_skilled_new", "target_value": 6000, "unit": "人", "owner": "hrss"},
    {"code": "technicians_new", "parent": "high_skilled_new", "title": "其中：技师、高级技师",
     "title_en": "of which technicians and senior technicians",
     "measure": "technicians_new", "target_value": 800, "unit": "人", "owner": "hrss"},
    {"code": "training_sessions", "title": "职业技能培训", "title_en": "Vocational training sessions",
     "measure": "reported", "target_value": 24000, "unit": "人次", "owner": "hrss",
     "note": "培训由各类培训机构组织，平台无记录，由人社局按月填报并上传佐证。"},
    {"code": "rd_platforms", "title": "新增省级以上研发平台", "title_en": "New provincial-or-higher R&D platforms",
     "measure": "reported", "target_value": 6, "at_least": True, "unit": "个", "owner": "industry_it",
     "note": "研发平台由省级以上部门认定，平台无记录，由工信局按月填报并上传认定文件。"},
    {"code": "high_level_introduced", "title": "引进高层次人才", "title_en": "High-level talents introduced",
     "measure": "high_level_introduced", "target_value": 100, "at_least": True, "unit": "人",
     "owner": "talent_office"},
    {"code": "recruitment_events", "title": "举办招才引智活动", "title_en": "Recruitment events held",
     "measure": "recruitment_events", "target_value": 10, "at_least": True, "unit": "场", "owner": "talent_office"},
    {"code": "publicity_events", "title": "开展政策宣讲", "title_en": "Policy publicity events held",
     "measure": "publicity_events", "target_value": 20, "at_least": True, "unit": "场", "owner": "talent_office"},
    {"code": "enterprise_visits", "title": "万人助万企每月走访企业", "title_en": "Enterprise visits every month",
     "measure": "visit_months", "target_value": 12, "unit": "个月", "owner": "industry_it",
     "note": "目标为“每月走访”：全年 12 个月每月均有走访记录。"},
]

# Monitoring indicators: figures the platform counts without a target value of their own.
INDICATORS: list[dict[str, Any]] = [
    {"code": "certifications", "title": "人才认定（按层次）", "title_en": "Certifications by tier",
     "measure": "certifications", "unit": "人", "owner": "talent_office"},
    {"code": "visits_logged", "title": "万人助万企走访次数", "title_en": "Enterprise visits logged",
     "measure": "enterprise_visits", "unit": "次", "owner": "industry_it"},
    {"code": "warm_stays", "title": "暖心驿站入住", "title_en": "Warm-station stays",
     "measure": "warm_stays", "unit": "人次", "owner": "housing"},
    {"code": "apartments_let", "title": "人才公寓签约出租", "title_en": "Talent apartments let",
     "measure": "apartments_let", "unit": "套", "owner": "housing"},
    {"code": "deadlines_met", "title": "办件按期办结率", "title_en": "Service deadlines met",
     "measure": "deadlines_met", "unit": "%", "owner": "talent_office", "pace": "level"},
    {"code": "satisfaction", "title": "企业问题办理满意度", "title_en": "Enterprise satisfaction",
     "measure": "satisfaction", "unit": "分", "owner": "industry_it", "pace": "level"},
]

RESULTS_2023: list[dict[str, Any]] = [
    {"code": "recruitment_events", "title": "举办招才引智活动", "title_en": "Recruitment events", "value": 50,
     "at_least": True, "unit": "场", "target_code": "recruitment_events"},
    {"code": "postdoc_platforms", "title": "国家、省、市级博士后平台", "title_en": "Postdoc platforms",
     "value": 15, "unit": "个"},
    {"code": "talent_apartments", "title": "人才公寓", "title_en": "Talent apartments", "value": 1000,
     "at_least": True, "unit": "套"},
    {"code": "warm_station_rooms", "title": "暖心驿站房间", "title_en": "Warm-station rooms", "value": 400,
     "unit": "间"},
    {"code": "service_stations", "title": "北京、上海人才服务站", "title_en": "Talent service stations (Beijing, Shanghai)",
     "value": 2, "unit": "个"},
    {"code": "contract_civil_servants", "title": "聘任制公务员", "title_en": "Contract civil servants hired",
     "value": 10, "unit": "人"},
    {"code": "high_level_talents", "title": "高层次人才", "title_en": "High-level talents", "value": 54,
     "unit": "人", "target_code": "high_level_introduced"},
    {"code": "urgent_key_industry", "title": "重点产业急需紧缺人才", "title_en": "Urgently needed key-industry talents",
     "value": 239, "unit": "人"},
    {"code": "industry_talents", "title": "产业人才", "title_en": "Industry talents", "value": 2500,
     "at_least": True, "unit": "人"},
    {"code": "edu_medical_talents", "title": "教育、医疗人才", "title_en": "Education and medical talents",
     "value": 6000, "at_least": True, "unit": "人"},
    {"code": "young_talents", "title": "青年人才", "title_en": "Young talents", "value": 100000, "at_least": True,
     "unit": "人"},
]
