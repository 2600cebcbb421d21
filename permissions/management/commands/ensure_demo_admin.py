"""python manage.py ensure_demo_admin: a local superuser for the demo, created idempotently."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name, street_group_name
from content.models import Membership, StationLevel, StationPage, Street
from coordination.demo import ensure_demo_coordination
from deliberation.demo import ensure_demo_deliberation
from duties.demo import ensure_demo_duties
from duties.models import DeputyAccount
from legislation.demo import ensure_demo_legislation
from livelihood.demo import ensure_demo_livelihood
from permissions.models import StaffRequest, StationAssignment
from permissions.roles import sync_all_roles
from permissions.staff_requests import file_request
from suggestions.demo import ensure_demo_suggestions
from workflows.models import Department

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "lianluo-demo-2026"  # noqa: S105 - a documented demo credential, refused when DEBUG is off


class Command(BaseCommand):
    help = (
        "为本地演示创建（或重置）超级管理员 admin；DEBUG 关闭时拒绝运行，除非加 --force。"
        " Create (or reset) the demo superuser 'admin'; refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"管理员密码，至少 12 位 Password, at least 12 characters (default {DEMO_PASSWORD})",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="DEBUG 关闭时也运行（仅限确知是演示环境） Run even with DEBUG off (demo machines only)",
        )

    def handle(self, *args, password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG 已关闭：这很可能不是演示环境，拒绝创建公开密码的管理员。确需运行请加 --force。\n"
                "DEBUG is off, so this is probably not a demo: refusing to create an admin with a published "
                "password. Pass --force if you are sure."
            )
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        created = user is None
        if created:
            user = User(username=DEMO_USERNAME, email="admin@example.invalid")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("密码不符合要求 Password rejected: " + " ".join(error.messages))
        if not created and user.check_password(password) and user.is_staff and user.is_superuser and user.is_active:
            state = "已存在，未作改动 already exists, unchanged"
        else:
            user.set_password(password)
            user.is_staff = user.is_superuser = user.is_active = True
            user.save()
            state = (
                "已创建 created" if created else "已存在，已重置密码和权限 already existed, password and rights reset"
            )

        people = ensure_demo_people(password)
        admin_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("wagtailadmin_home")
        self.stdout.write(self.style.SUCCESS(f"演示管理员 Demo admin {state}"))
        self.stdout.write(f"  后台地址 Admin URL:  {admin_url}")
        self.stdout.write(f"  用户名 Username:     {DEMO_USERNAME}")
        self.stdout.write(f"  密码 Password:       {password}")
        if people:
            self.stdout.write("  各角色示范账号（同一密码）Demo accounts of each role (same password):")
            for username, role in people:
                self.stdout.write(f"    {username:<18} {role}")
        self.stdout.write(
            self.style.WARNING("  仅供本地演示，切勿用于生产环境。For the local demo only; never use in production.")
        )


def ensure_demo_people(password: str) -> list[tuple[str, str]]:
    """One account per role on the demo district, so each view can be tried (idempotent)."""
    street = Street.objects.order_by("sort_order", "name").first()
    station = (
        StationPage.objects.filter(street=street, level=StationLevel.STATION).order_by("path").first()
        if street
        else None
    )
    department = Department.objects.order_by("sort_order", "name").first()
    if street is None or station is None:
        return []
    sync_all_roles()
    wanted = [
        (
            "demo-street",
            f"街道人大工委 · {street.name}",
            [role_group_name(Role.STREET_COMMITTEE), street_group_name(street)],
        ),
        ("demo-station", f"站点工作人员 · {station.title}", [role_group_name(Role.STATION_STAFF)]),
        ("demo-editor", "编辑", [role_group_name(Role.EDITOR)]),
        ("demo-auditor", "审计", [role_group_name(Role.AUDITOR)]),
    ]
    if department is not None:
        wanted.append(
            (
                "demo-department",
                f"承办单位 · {department.name}",
                [role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department)],
            )
        )
    User = get_user_model()
    made = []
    for username, role, groups in wanted:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.invalid", "display_name": role}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=groups))
        made.append((username, role))
    demo_station_user = User.objects.get(username="demo-station")
    StationAssignment.objects.get_or_create(user=demo_station_user, station=station)
    ensure_demo_staff_request(station, demo_station_user)
    deputy = ensure_demo_deputy(station, password)
    if deputy is not None:
        made.append(("demo-deputy", f"人大代表 · {deputy.name}（代表e站 /e/）"))
        deputy_user = User.objects.get(username="demo-deputy")
        street_user = User.objects.get(username="demo-street")
        ensure_demo_duties(station, demo_station_user, street_user, deputy_user, deputy)
        office_user = User.objects.filter(username=DEMO_USERNAME, is_superuser=True).first()
        if department is not None and office_user is not None:
            ensure_demo_suggestions(
                deputy,
                deputy_user,
                station=station,
                office_user=office_user,
                department=department,
                department_user=User.objects.get(username="demo-department"),
            )
            ensure_demo_livelihood(
                office_user=office_user,
                street_user=street_user,
                department=department,
                department_user=User.objects.get(username="demo-department"),
                deputy=deputy,
                deputy_user=deputy_user,
                station=station,
            )
        if office_user is not None:
            ensure_demo_legislation(station, staff_user=demo_station_user, office_user=office_user)
            ensure_demo_coordination(office_user=office_user, street_user=street_user, street=station.street)
        if department is not None and office_user is not None:
            ensure_demo_deliberation(
                station, staff_user=demo_station_user, office_user=office_user, department=department
            )
    return made


def ensure_demo_deputy(station, password: str):
    """An account for one deputy of the demo station (preferably one on reception duty there)."""
    on_duty = {d.pk for schedule in station.reception_schedules.all() for d in schedule.duty_deputies.all()}
    members = [m.deputy for m in Membership.objects.current().filter(station=station).select_related("deputy")]
    members = [d for d in members if d.is_active]
    if not members:
        return None
    existing = DeputyAccount.objects.filter(user__username="demo-deputy").select_related("deputy").first()
    if existing is not None:
        return existing.deputy
    deputy = next((d for d in members if d.pk in on_duty), members[0])
    if DeputyAccount.objects.filter(deputy=deputy).exists():
        return None
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="demo-deputy", defaults={"email": "demo-deputy@example.invalid", "display_name": deputy.name}
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    user.groups.add(*Group.objects.filter(name=role_group_name(Role.DEPUTY)))
    DeputyAccount.objects.create(deputy=deputy, user=user)
    return deputy


def ensure_demo_staff_request(station, requester) -> None:
    """One pending request of the demo station, so the street's account has something to decide."""
    if StaffRequest.objects.filter(requested_by=requester).exists():
        return
    reason = "原联络员调任社区工作，每月第三周星期二的接待日需要一名联络员。"
    file_request(StaffRequest(station=station, person_name="李晓梅", post="联络员", reason=reason), requester)
