from django.core.management.base import BaseCommand, CommandError

from livelihood import ballot
from livelihood.models import BallotCount, ProjectRound


class Command(BaseCommand):
    help = (
        "按存储的选票重新计票，与计票结果逐项比较；不一致时以非零状态退出。"
        " Recount a round's stored ballots and compare with its stored count."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="轮次编号 Round id")

    def handle(self, *args, round, **options):
        row = ProjectRound.objects.filter(pk=round).first()
        if row is None:
            raise CommandError(f"没有编号为 {round} 的轮次。")
        stored = BallotCount.objects.filter(round=row).first()
        if stored is None:
            raise CommandError(f"{row.title}还没有计票。")
        again = ballot.tally(row).as_count()
        entitled, cast, invalid = again["entitled"], again["cast"], again["invalid"]
        self.stdout.write(f"{row.title}：有表决权 {entitled} 人，收回 {cast} 张，无效 {invalid} 张")
        for number, votes in again["votes"].items():
            self.stdout.write(f"  {number}号 {votes} 票（计票结果 {stored.votes.get(number)} 票）")
        differing = [name for name, value in again.items() if getattr(stored, name) != value]
        if differing:
            raise CommandError("重新计票与计票结果不一致：" + "、".join(differing))
        self.stdout.write(self.style.SUCCESS("重新计票与计票结果完全一致。"))
