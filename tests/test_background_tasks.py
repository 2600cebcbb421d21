"""Background work through the database queue (django-tasks-db), as production runs it."""

import pytest

from django.core import mail
from django.core.management import call_command

from base.roles import Role, department_group_name, role_group_name
from tests.conftest import new_opinion, role_user, station_user
from workflows import opinions
from workflows.models import Department

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings, monkeypatch):
    settings.TASKS = DATABASE_QUEUE
    # The worker closes connections it finds outside autocommit; the test's own transaction
    # is one, and on PostgreSQL closing it would end the test. The worker's task handling is
    # what runs here, on the test's connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="workflows.notifications.send_notification")


def test_the_email_waits_in_the_queue_until_the_worker_sends_it(two_streets, queue, django_capture_on_commit_callbacks):
    department = Department.objects.create(name="区城管局", email="cgj@example.com")
    role_user("cgj-clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    staff = station_user(two_streets["station"])
    opinion = opinions.perform(new_opinion(two_streets["station"]), "accept", user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        opinions.perform(opinion, "assign", user=staff, department=department)

    assert mail.outbox == []  # nothing is sent inside the request
    waiting = queue.get()
    assert waiting.status == "READY"
    assert waiting.args_kwargs["args"][3] == ["cgj@example.com"]  # the handler has no email address

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    (message,) = mail.outbox
    assert message.subject == f"【联络】交办：{opinion.title}"
    assert opinion.receipt_no in message.body
    assert sorted(message.to) == ["cgj@example.com"]
    assert queue.get().status == "SUCCESSFUL"


def test_a_failed_send_stays_in_the_queue_with_its_error(
    two_streets, queue, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    department = Department.objects.create(name="区城管局", email="cgj@example.com")
    staff = station_user(two_streets["station"])
    opinion = opinions.perform(new_opinion(two_streets["station"]), "accept", user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        opinions.perform(opinion, "assign", user=staff, department=department)

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    failed = queue.get()
    assert failed.status == "FAILED"
    assert failed.exception_class_path.endswith("ConnectionRefusedError")
    assert mail.outbox == []


def test_production_queues_background_work_in_the_database():
    from tests.test_settings import PRODUCTION_ENV, manage

    code = "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
    result = manage("shell", "-c", code, env_extra=PRODUCTION_ENV, drop=("LIANLUO_TASKS_BACKEND",))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django_tasks_db.DatabaseBackend"
