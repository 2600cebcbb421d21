import datetime as dt

from django.core.management.base import BaseCommand

from suggestions.reminders import sweep


class Command(BaseCommand):
    help = "代表建议每日巡检：到期提醒、超期通知、B类承诺到期通知。Daily sweep of deputy suggestions."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, help="按该日期运行（YYYY-MM-DD），用于补跑")

    def handle(self, *args, today=None, **options):
        report = sweep(today)
        self.stdout.write(
            f"到期提醒 reminded: {report.reminded}；超期通知 overdue: {report.overdue}；"
            f"B类承诺到期 promises due: {report.promises}"
        )
