"""Runner and LabJob moved from practice to labs without touching their tables: a database made by the code
before the move (practice at 0004, no labs app) migrates forward with every row, foreign key and admin
permission intact."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_MOVE = [("labs", None), ("practice", "0004_runner_routing")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    applied = [key for key in executor.loader.applied_migrations if key in executor.loader.graph.leaf_nodes()
               or key[0] in ("auth", "contenttypes", "practice")]
    return executor.loader.project_state(applied).apps


@pytest.mark.slow
def test_a_populated_database_migrates_forward_with_its_lab_rows(transactional_db):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE_MOVE)  # the schema the code before the move made
    assert "labs" not in {label for label, _ in MigrationExecutor(connection).loader.applied_migrations}
    assert "practice_runner" in connection.introspection.table_names()
    User = old.get_model("auth", "User")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    OldRunner = old.get_model("practice", "Runner")
    OldJob = old.get_model("practice", "LabJob")
    owner = User.objects.create(username="mover")
    runner = OldRunner.objects.create(owner_id=owner.id, name="laptop-4070", token_hash="h" * 64,
                                      token_prefix="ddr_abcd", shared=True,
                                      capabilities={"queues": ["lab.cpu", "lab.cuda"]})
    job = OldJob.objects.create(user_id=owner.id, lab="quant-inference", queue="lab.cuda", params={"model": "x"},
                                status="succeeded", runner_id=runner.id, target_id=runner.id,
                                result={"precisions": []}, system_info={"hostname": "h"})
    ct, _ = ContentType.objects.get_or_create(app_label="practice", model="runner")
    perm, _ = Permission.objects.get_or_create(content_type=ct, codename="change_runner",
                                               defaults={"name": "Can change runner"})

    _migrate(leaves)

    from labs.models import LabJob, Runner

    assert Runner._meta.db_table == "practice_runner" and LabJob._meta.db_table == "practice_labjob"
    moved = Runner.objects.get(pk=runner.id)
    assert (moved.name, moved.owner_id, moved.shared, moved.queues) == ("laptop-4070", owner.id, True,
                                                                         ["lab.cpu", "lab.cuda"])
    moved_job = LabJob.objects.get(pk=job.id)
    assert (moved_job.runner_id, moved_job.target_id, moved_job.result, moved_job.status) == (
        runner.id, runner.id, {"precisions": []}, "succeeded")
    assert list(moved.jobs.values_list("id", flat=True)) == [job.id]
    from django.contrib.auth.models import Permission as LivePermission
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    live_ct = LiveContentType.objects.get_for_model(Runner)
    assert live_ct.pk == ct.pk and live_ct.app_label == "labs"
    assert LivePermission.objects.get(pk=perm.pk).content_type_id == live_ct.pk
