"""Runner and LabJob, moved here from the practice app. Their tables keep their names (Meta.db_table) and their
rows: this migration only adds the models to the labs app's state, and points the admin's content types
(and so permissions and admin log entries) at the new app."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models




def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="practice", model__in=("runner", "labjob")).update(app_label="labs")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="labs", model__in=("runner", "labjob")).update(app_label="practice")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("practice", "0004_runner_routing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Runner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80)),
                        ('token_hash', models.CharField(max_length=64, unique=True)),
                        ('token_prefix', models.CharField(max_length=8)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('last_seen_at', models.DateTimeField(blank=True, null=True)),
                        ('capabilities', models.JSONField(blank=True, default=dict)),
                        ('shared', models.BooleanField(default=False)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='runners', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'practice_runner',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='LabJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('lab', models.CharField(max_length=40)),
                        ('queue', models.CharField(max_length=20)),
                        ('params', models.JSONField(default=dict)),
                        ('status', models.CharField(choices=[('queued', '排队中'), ('running', '运行中'), ('succeeded', '成功'), ('failed', '失败'), ('cancelled', '已取消')], db_index=True, default='queued', max_length=12)),
                        ('progress', models.PositiveSmallIntegerField(default=0)),
                        ('stage', models.CharField(blank=True, max_length=200)),
                        ('attempt', models.PositiveIntegerField(default=1)),
                        ('max_attempts', models.PositiveIntegerField(default=2)),
                        ('result', models.JSONField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('log_tail', models.TextField(blank=True)),
                        ('system_info', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                        ('dispatches', models.PositiveSmallIntegerField(default=0)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lab_jobs', to=settings.AUTH_USER_MODEL)),
                        ('runner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='jobs', to='labs.runner')),
                        ('target', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='targeted_jobs', to='labs.runner')),
                    ],
                    options={
                        'db_table': 'practice_labjob',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
