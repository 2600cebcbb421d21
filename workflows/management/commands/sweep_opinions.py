import datetime as dt

from django.core.management.base import BaseCommand

from workflows.sweep import sweep


class Command(BaseCommand):
    help = "每日巡检：到期提醒、超期标记、逾期未评价办结、超期汇总。Daily opinion sweep."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, help="按该日期运行（YYYY-MM-DD），用于补跑")

    def handle(self, *args, today=None, **options):
        report = sweep(today)
        self.stdout.write(
            f"到期提醒 reminded: {report.reminded}；新超期 newly overdue: {report.overdue_flagged}；"
            f"逾期未评价办结 closed unrated: {report.closed_unrated}"
        )
        self.stdout.write(f"超期合计 overdue in the district: {report.overdue_total}")
        for street, count in report.overdue_by_street.items():
            self.stdout.write(f"  {street}: {count}")
