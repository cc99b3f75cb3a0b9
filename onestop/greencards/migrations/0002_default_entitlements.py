"""The default entitlements and which card class carries them (2024 policy package); the system admin edits them."""

from django.db import migrations

ENTITLEMENTS = [
    ("medical_green_channel", "医疗绿色通道", "就医绿色通道、年度健康体检（医疗保健）。", 10),
    ("school_enrolment", "子女入学", "子女在航空港区入学、转学安排。", 20),
    ("spouse_job", "配偶安置", "配偶随迁就业安置、岗位对接。", 30),
    ("housing_support", "住房保障", "人才住房保障资格与购房、租房支持。", 40),
    ("talent_apartment", "人才公寓", "人才公寓配租。", 50),
    ("work_permit", "外国人来华工作许可与居留", "外国人来华工作许可、居留许可办理协助。", 60),
]

ALL = ["A", "B", "C", "D", "E", "M1", "M2", "M3"]
CLASSES = {
    "medical_green_channel": ["A", "B", "C", "D", "M1", "M2", "M3"],
    "school_enrolment": ["A", "B", "C", "D", "M1", "M2", "M3"],
    "spouse_job": ["A", "B", "C", "M1", "M2"],
    "housing_support": ALL,
    "talent_apartment": ALL,
    "work_permit": ALL,
}


def forwards(apps, schema_editor):
    Entitlement = apps.get_model("greencards", "Entitlement")
    ClassEntitlement = apps.get_model("greencards", "ClassEntitlement")
    for code, name, description, order in ENTITLEMENTS:
        entitlement, _ = Entitlement.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order})
        for card_class in CLASSES[code]:
            ClassEntitlement.objects.get_or_create(card_class=card_class, entitlement=entitlement)


def backwards(apps, schema_editor):
    apps.get_model("greencards", "ClassEntitlement").objects.all().delete()
    apps.get_model("greencards", "Entitlement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("greencards", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
