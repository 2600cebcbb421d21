# The audit log and the holiday calendar move here from permissions and workflows. Their
# tables stay where they are (db_table keeps the old names, and the audit table keeps its
# append-only trigger): the models move in Django's state only, and their content types
# are relabelled so that permissions and log entries pointing at them follow.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MOVED = [("permissions", "auditevent"), ("workflows", "calendarday"), ("workflows", "historicalcalendarday")]


def relabel_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        if not ContentType.objects.filter(app_label="base", model=model).exists():
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label="base")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, model in MOVED:
        if not ContentType.objects.filter(app_label=old_app, model=model).exists():
            ContentType.objects.filter(app_label="base", model=model).update(app_label=old_app)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("permissions", "0010_audit_object_deleted"),
        ("workflows", "0008_opinion_public_reply"),
    ]

    state_operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='日期')),
                ('kind', models.CharField(choices=[('holiday', '法定节假日（休息）'), ('workday', '调休上班日')], max_length=16, verbose_name='类型')),
                ('name', models.CharField(help_text='例如：国庆节、春节调休', max_length=40, verbose_name='名称')),
            ],
            options={
                'verbose_name': '节假日调整',
                'verbose_name_plural': '节假日调整',
                'db_table': 'workflows_calendarday',
                'ordering': ['date'],
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('timestamp', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('actor_username', models.CharField(blank=True, max_length=150, verbose_name='操作人用户名')),
                ('action', models.CharField(db_index=True, max_length=32, verbose_name='动作')),
                ('object_type', models.CharField(blank=True, max_length=100, verbose_name='对象类型')),
                ('object_id', models.CharField(blank=True, max_length=64, verbose_name='对象编号')),
                ('object_repr', models.CharField(blank=True, max_length=200, verbose_name='对象')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP 地址')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='详情')),
                ('actor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
            ],
            options={
                'verbose_name': '审计记录',
                'verbose_name_plural': '审计记录',
                'db_table': 'permissions_auditevent',
                'ordering': ['-timestamp', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCalendarDay',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('date', models.DateField(db_index=True, verbose_name='日期')),
                ('kind', models.CharField(choices=[('holiday', '法定节假日（休息）'), ('workday', '调休上班日')], max_length=16, verbose_name='类型')),
                ('name', models.CharField(help_text='例如：国庆节、春节调休', max_length=40, verbose_name='名称')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 节假日调整',
                'verbose_name_plural': 'historical 节假日调整',
                'db_table': 'workflows_historicalcalendarday',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
