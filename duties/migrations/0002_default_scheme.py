"""The default points scheme (履职积分办法): 23 duties in the four groups of seed 001's
履职管理办法, for 2026 and 2027. The district admin edits them, or copies a year's scheme to
the next (积分办法 → 复制到下一年度); changing one year never changes another's totals."""

from decimal import Decimal

from django.db import migrations

# (group, name, description, base, repeat, cap, lead weight, co weight, self-reportable, automatic)
ITEMS = [
    ("session", "出席区人民代表大会会议", "全程出席大会各次全体会议和代表团会议", "5", "0", "5", "1", "1", False, ""),
    ("session", "提出代表建议、批评和意见", "大会期间提出并被立案的建议；领衔者计全分，附议者按参与人系数计", "3", "2", "11", "1", "0.5", False, ""),
    ("session", "领衔或附议提出议案", "符合法定程序并被大会主席团受理", "5", "3", "11", "1", "0.5", False, ""),
    ("session", "在大会审议中发言", "在代表团或小组会议上作审议发言", "2", "1", "5", "1", "1", True, ""),
    ("session", "参加民生实事项目票决", "出席票决会议并投票", "2", "0", "2", "1", "1", False, ""),
    ("recess", "进站接待选民", "在联络站接待日到岗接待（按排班确认到岗自动登记）", "2", "2", "24", "1", "1", False, "reception"),
    ("recess", "收集、转交群众意见", "接待日当面收集或转交的群众意见（自动登记）", "1", "0.5", "10", "1", "1", False, "opinion_received"),
    ("recess", "跟踪群众意见至办结销号", "代表跟踪的群众意见办结销号（自动登记）", "1", "1", "10", "1", "1", False, "opinion_closed"),
    ("recess", "参加集中调研月活动", "围绕年度调研课题开展调研，形成调研报告者为牵头人", "3", "2", "9", "1", "0.5", True, ""),
    ("recess", "参加视察和执法检查", "参加常委会或街道工委组织的视察、执法检查", "3", "2", "9", "1", "0.5", True, ""),
    ("recess", "参加专题询问、满意度测评等监督活动", "", "2", "2", "8", "1", "0.5", True, ""),
    ("recess", "向选民报告履职情况", "向原选区选民或联络站所在社区报告履职，每届至少一次", "5", "2", "7", "1", "0.5", True, ""),
    ("recess", "参加代表小组活动", "", "1", "1", "6", "1", "1", True, ""),
    ("recess", "参加立法意见征询", "在基层立法联系点或座谈会上对法规草案提出意见", "2", "1", "6", "1", "0.5", True, ""),
    ("recess", "参加民生实事项目监督", "作为监督小组成员跟踪项目实施", "2", "1", "6", "1", "0.5", True, ""),
    ("exemplary", "参加代表履职培训", "常委会或街道工委组织的履职培训", "2", "1", "5", "1", "1", True, ""),
    ("exemplary", "参加学习活动", "专题学习、读书会、学习交流", "1", "1", "4", "1", "1", True, ""),
    ("exemplary", "在本职工作中发挥模范作用", "获得区级以上表彰或荣誉", "3", "2", "7", "1", "0.5", True, ""),
    ("exemplary", "参与公益慈善和志愿服务", "", "1", "1", "5", "1", "0.5", True, ""),
    ("exemplary", "参与基层治理和矛盾调解", "参与社区议事、调解邻里和物业纠纷", "2", "1", "6", "1", "0.5", True, ""),
    ("other", "参加常委会、街道工委组织的其他活动", "", "1", "1", "5", "1", "1", True, ""),
    ("other", "履职事迹被媒体报道", "市级以上媒体报道代表履职事迹", "2", "1", "4", "1", "1", True, ""),
    ("other", "其他经核实的履职工作", "以上各项未列入、经街道人大工委核实的履职工作", "1", "1", "3", "1", "0.5", True, ""),
]
YEARS = (2026, 2027)


def create(apps, schema_editor):
    DutyScheme = apps.get_model("duties", "DutyScheme")
    DutyItem = apps.get_model("duties", "DutyItem")
    for year in YEARS:
        if DutyScheme.objects.filter(year=year).exists():
            continue
        scheme = DutyScheme.objects.create(
            year=year,
            title=f"{year}年度代表履职积分办法",
            note="依据区人大代表履职管理办法，列出代表应履行的23项职责，以积分和文字形式记录。",
        )
        for number, (group, name, description, base, repeat, cap, lead, co, own, auto) in enumerate(ITEMS, start=1):
            DutyItem.objects.create(
                scheme=scheme,
                number=number,
                group=group,
                name=name,
                description=description,
                base_points=Decimal(base),
                repeat_points=Decimal(repeat),
                yearly_cap=Decimal(cap),
                lead_weight=Decimal(lead),
                co_weight=Decimal(co),
                self_reportable=own,
                auto_source=auto,
            )


def remove(apps, schema_editor):
    apps.get_model("duties", "DutyScheme").objects.filter(year__in=YEARS).delete()


class Migration(migrations.Migration):
    dependencies = [("duties", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
