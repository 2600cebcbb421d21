from django.core.management.base import BaseCommand

from permissions.roles import sync_all_roles


class Command(BaseCommand):
    help = "创建或更新角色用户组及其权限（可重复运行）。Create or update role groups and their grants (idempotent)."

    def handle(self, *args, **options):
        groups = sync_all_roles()
        self.stdout.write(self.style.SUCCESS(f"角色已同步 Roles in sync: {len(groups)} 个用户组 groups"))
        for group in groups:
            self.stdout.write(f"  - {group.name}")
