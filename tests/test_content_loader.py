"""load_content: idempotent, transactional, precise errors, archiving, progress surviving edits."""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from tracker.models import Phase, PlanNote, Resource, Section, Status, Task, TaskProgress
from tracker.services import task_set_status

# The learner's seed plan, verbatim (also at ../shared/seed/): every bullet must become a task.
SEED_PLAN = Path(__file__).resolve().parent / "data" / "seed-plan.txt"


def load(content_dir: Path | None = None, *extra: str) -> str:
    out = StringIO()
    args = ["load_content", *extra]
    if content_dir:
        args += ["--dir", str(content_dir)]
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def empty_content(db):
    """These tests load content themselves: start from an empty catalogue (rolled back afterwards)."""
    from tracker.models import Skill

    for model in (Task, Section, Phase, Resource, PlanNote, Skill):
        model.objects.all().delete()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, dest)
    return dest


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.django_db
def test_second_load_reports_no_change():
    first = load()
    assert "created" in first and Task.objects.count() > 0
    second = load()
    assert "no changes" in second
    assert " 0 created, 0 updated" in second


@pytest.mark.django_db
def test_every_phase_of_the_seed_is_loaded_with_sections_and_tasks():
    load()
    assert list(Phase.objects.values_list("order", flat=True)) == [1, 2, 3, 4]
    assert Section.objects.count() == 11  # 3 + 3 + 3 + 2 numbered sections in the seed
    # Every kind of bullet heading in the seed became tasks.
    kinds = set(Task.objects.values_list("kind", flat=True))
    assert kinds == {k.value for k in Task.Kind}
    for phase in Phase.objects.all():
        assert phase.title_en and all(t.title_en for t in phase.tasks.all())
    assert PlanNote.objects.filter(kind=PlanNote.Kind.QUESTION).count() == 6
    assert PlanNote.objects.filter(kind=PlanNote.Kind.TIMELINE).count() == 3
    assert Resource.objects.filter(url__startswith="https://").count() == Resource.objects.count()


@pytest.mark.django_db
def test_seed_bullets_are_all_tasks():
    """Each '- ' bullet under a task heading in the seed appears as a task title."""
    load()
    seed_text = SEED_PLAN.read_text(encoding="utf-8")
    titles = "".join(Task.objects.values_list("title", flat=True))
    headings = (
        "实操",
        "拓展知识",
        "拓展实操",
        "关键学习",
        "必学内容",
        "项目实战",
        "工具链",
        "推荐项目",
        "竞赛",
        "最低要求",
    )
    in_tasks, missing = False, []
    for line in seed_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- **"):
            in_tasks = any(f"**{h}**" in stripped for h in headings)
            continue
        if in_tasks and line.startswith("     - "):
            bullet = re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", stripped[2:]).replace("`", "").rstrip("。")
            core = bullet[:8]
            if core not in titles.replace("`", ""):
                missing.append(bullet)
        elif stripped.startswith(("####", "1.", "2.", "3.")):
            in_tasks = False
    assert not missing, f"seed bullets without a task: {missing}"


@pytest.mark.django_db
def test_check_validates_without_writing():
    out = load(None, "--check")
    assert "nothing written" in out
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_missing_field_names_file_item_and_field_and_loads_nothing(content_copy):
    phase_file = content_copy / "plan" / "phase-2.yaml"

    def drop_title_en(data):
        del data["sections"][0]["tasks"][0]["title_en"]
        return data

    slug = yaml.safe_load(phase_file.read_text(encoding="utf-8"))["sections"][0]["tasks"][0]["slug"]
    edit_yaml(phase_file, drop_title_en)
    with pytest.raises(CommandError) as err:
        load(content_copy)
    message = str(err.value)
    assert "phase-2.yaml" in message and f"item '{slug}'" in message and "field 'title_en'" in message
    assert "nothing loaded" in message
    assert Phase.objects.count() == 0 and Task.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filename, breakage, expect",
    [
        ("resources.yaml", lambda d: d[0].update(type="podcast"), "field 'type'"),
        ("resources.yaml", lambda d: d[0].update(url="not a url"), "field 'url'"),
        ("phase-1.yaml", lambda d: d["sections"][0]["tasks"][0].update(kind="homework"), "field 'kind'"),
        (
            "phase-1.yaml",
            lambda d: d["sections"][0]["tasks"][0].update(skills=["no-such-skill"]),
            "unknown slug 'no-such-skill'",
        ),
        (
            "phase-1.yaml",
            lambda d: d["sections"][0]["tasks"].append(dict(d["sections"][0]["tasks"][0])),
            "duplicate slug",
        ),
        ("phase-3.yaml", lambda d: d.update(weeks="many"), "field 'weeks'"),
        ("plan.yaml", lambda d: d["questions"][0].pop("answer"), "field 'answer'"),
        ("skills.yaml", lambda d: d[0].update(slug="Bad Slug"), "field 'slug'"),
    ],
)
def test_schema_errors_are_precise_and_transactional(content_copy, filename, breakage, expect):
    edit_yaml(content_copy / "plan" / filename, breakage)
    with pytest.raises(CommandError) as err:
        load(content_copy)
    assert filename in str(err.value) and expect in str(err.value)
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_invalid_yaml_is_reported_with_the_file(content_copy):
    (content_copy / "plan" / "phase-4.yaml").write_text("slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"phase-4\.yaml: invalid YAML"):
        load(content_copy)


@pytest.mark.django_db
def test_editing_content_updates_rows_and_progress_survives(content_copy, user):
    load(content_copy)
    task = Task.objects.order_by("id").first()
    task_set_status(user=user, task=task, status=Status.DONE)

    def retitle(data):
        for section in data["sections"]:
            for t in section["tasks"]:
                if t["slug"] == task.slug:
                    t["title"] = "新的标题"

    edit_yaml(content_copy / "plan" / f"{task.phase.slug}.yaml", retitle)
    out = load(content_copy)
    assert "1 updated" in out
    task.refresh_from_db()
    assert task.title == "新的标题"
    assert TaskProgress.objects.get(user=user, task=task).status == Status.DONE


@pytest.mark.django_db
def test_removed_task_is_archived_not_deleted_and_history_kept(content_copy, user):
    load(content_copy)
    articles = "".join(p.read_text(encoding="utf-8") for p in (content_copy / "kb").glob("*.md"))
    # A task no knowledge-base article links to (removing a linked one is a content error by design).
    phase_file, si, ti = next(
        (path, si, ti)
        for path in sorted((content_copy / "plan").glob("phase-*.yaml"))
        for si, section in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["sections"])
        for ti, task in enumerate(section["tasks"])
        if task["slug"] not in articles
    )
    removed = yaml.safe_load(phase_file.read_text(encoding="utf-8"))["sections"][si]["tasks"][ti]["slug"]
    task_set_status(user=user, task=Task.objects.get(slug=removed), status=Status.DOING)
    edit_yaml(phase_file, lambda d: d["sections"][si]["tasks"].pop(ti))
    out = load(content_copy)
    assert "1 archived" in out
    task = Task.objects.get(slug=removed)
    assert task.archived and task.progress.get(user=user).status == Status.DOING
    assert removed not in Task.objects.live().values_list("slug", flat=True)
