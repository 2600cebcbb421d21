import datetime as dt

from django.core.management.base import BaseCommand

from coordination.reminders import sweep


class Command(BaseCommand):
    help = "区街联动每日巡检：到期前提醒、超期通知街道人大工委。Daily sweep of district-to-street tasks."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, help="按该日期运行（YYYY-MM-DD），用于补跑")

    def handle(self, *args, today=None, **options):
        report = sweep(today)
        self.stdout.write(f"到期提醒 reminded: {report.reminded}；超期通知 overdue: {report.overdue}")
