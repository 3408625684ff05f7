"""Runner and LabJob now belong to the labs app (labs/migrations/0001_initial): removed from this app's state
only. Their tables (practice_runner, practice_labjob) and every row stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("practice", "0004_runner_routing"),
        ("labs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='runner',
                    name='owner',
                ),
                migrations.DeleteModel(
                    name='LabJob',
                ),
                migrations.DeleteModel(
                    name='Runner',
                ),
            ],
            database_operations=[],
        ),
    ]
