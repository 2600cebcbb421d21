from django.core.management.base import BaseCommand

from oversight.models import RollupRun
from oversight.rollups import refresh


class Command(BaseCommand):
    help = "重新统计一屏统览、视窗晾晒与报表的数据（cron 每小时一次）。Refresh the dashboards' rollup tables."

    def handle(self, *args, **options):
        refreshed = refresh(RollupRun.Trigger.COMMAND)
        self.stdout.write(f"写入 {refreshed.rows} 行，用时 {refreshed.seconds:.2f} 秒 rows: {refreshed.rows}")
