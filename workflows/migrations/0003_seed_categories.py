"""The usual subjects of citizens' opinions; administrators can edit them afterwards."""

from django.db import migrations

CATEGORIES = [
    ("城市建设与管理", 15),
    ("交通出行", 15),
    ("环境保护", 15),
    ("社会保障", 15),
    ("教育文化", 15),
    ("医疗卫生", 15),
    ("社区治理", 10),
    ("平安建设", 10),
    ("其他", 15),
]


def seed(apps, schema_editor):
    Category = apps.get_model("workflows", "Category")
    for order, (name, days) in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"deadline_workdays": days, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_opinions")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
