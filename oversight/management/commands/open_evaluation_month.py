"""Create the month's evaluation (站点评星) for every 中心站 and 联络站 that has none yet."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oversight.evaluation import month_label, open_month


class Command(BaseCommand):
    help = "为每个中心站和联络站创建当月的评星（已有的不重复创建）。"

    def add_arguments(self, parser):
        parser.add_argument("--month", help="月份，格式 YYYY-MM；默认本月。")

    def handle(self, *args, month=None, **options):
        if month:
            try:
                day = dt.date.fromisoformat(f"{month}-01")
            except ValueError:
                raise CommandError("月份格式应为 YYYY-MM。") from None
        else:
            day = timezone.localdate().replace(day=1)
        created = open_month(day)
        self.stdout.write(f"{month_label(day)}：新建 {len(created)} 个站点评星。")
