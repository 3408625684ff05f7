"""load_content: idempotent, transactional, precise errors, archiving, progress surviving edits."""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

import labcontract
from core.content_loader import CHECKS, ContentError, check_content, inline_list_lines, load_content
from core.markdown import render_markdown
from knowledge import content as kb_content
from knowledge.models import Article
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
def empty_content(db, request):
    """These tests load content themselves: start from an empty catalogue (rolled back afterwards). A test that
    reads what the real content/ loads to asks for `plan_content`: the session loaded it with the same command."""
    from tracker.models import Skill

    if "plan_content" in request.fixturenames:
        return
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


def test_second_load_reports_no_change(plan_content):
    assert Task.objects.count() > 0  # the session's load of content/: this one is the second
    second = load()
    assert "no changes" in second
    assert " 0 created, 0 updated" in second


def test_every_phase_of_the_seed_is_loaded_with_sections_and_tasks(plan_content):
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


def test_seed_bullets_are_all_tasks(plan_content):
    """Each '- ' bullet under a task heading in the seed appears as a task title."""
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
def test_editing_content_updates_rows_and_progress_survives(mini, user):
    assert "created" in load(mini)  # a first load creates; the session's real content is reloaded as "no changes"
    task = Task.objects.order_by("id").first()
    task_set_status(user=user, task=task, status=Status.DONE)

    def retitle(data):
        for section in data["sections"]:
            for t in section["tasks"]:
                if t["slug"] == task.slug:
                    t["title"] = "新的标题"

    edit_yaml(mini / "plan" / f"{task.phase.slug}.yaml", retitle)
    out = load(mini)
    assert "1 updated" in out
    task.refresh_from_db()
    assert task.title == "新的标题"
    assert TaskProgress.objects.get(user=user, task=task).status == Status.DONE


@pytest.mark.django_db
def test_removed_task_is_archived_not_deleted_and_history_kept(mini, user):
    # A task only this test adds, so no article or plan question links it (removing a linked one is a content
    # error by design, and every task of the real plan is linked from some article). Both tests edit the small
    # sound tree below (mini_content): the same loader, where a load of the real content/ takes 3 s.
    phase_file = sorted((mini / "plan").glob("phase-*.yaml"))[0]
    removed = "task-only-this-test-adds"
    edit_yaml(phase_file, lambda d: d["sections"][0]["tasks"].append(
        {"slug": removed, "kind": "hands-on", "title": "临时任务", "title_en": "A passing task"}))
    load(mini)
    task_set_status(user=user, task=Task.objects.get(slug=removed), status=Status.DOING)
    edit_yaml(phase_file, lambda d: d["sections"][0]["tasks"].pop())
    out = load(mini)
    assert "1 archived" in out
    task = Task.objects.get(slug=removed)
    assert task.archived and task.progress.get(user=user).status == Status.DOING
    assert removed not in Task.objects.live().values_list("slug", flat=True)


# ---- content checks (load_content --check): what a reader would trip over ---------------------------------
# Against a small content tree written here, so each check is shown refusing one bad field while everything
# else is sound.


MINI_ARTICLE = """---
slug: mini-article
title: 小文章
title_en: A small article
skills: [algorithms]
tasks: [mini-task]
exercises: [mini-exercise]
labs: [vllm-batch]
interview:
  - q: 问题一？
    a: 答案一。
    q_en: Question one?
    a_en: Answer one.
---
# 小文章

正文，链接到 [任务](/tasks/mini-task/)、[练习](/practice/mini-exercise/) 和 [实验](/labs/new/vllm-batch/)。

完成标准：

- 第一条
  续行
- 第二条

```text
代码块里的行
- 不是列表
```
"""


def mini_content(root: Path) -> Path:
    """A complete, sound content tree: one skill, phase, section, task, two resources, article and exercise."""
    plan = root / "plan"
    plan.mkdir(parents=True)

    def dump(path: Path, data) -> None:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    dump(plan / "skills.yaml", [{"slug": "algorithms", "name": "算法", "name_en": "Algorithms"}])
    dump(plan / "resources.yaml", [
        {"slug": "key-book", "title": "关键的书", "title_en": "The key book", "type": "book",
         "url": "https://example.org/book", "phases": ["phase-1"], "key": True},
        {"slug": "other-doc", "title": "别的文档", "type": "official-doc", "url": "https://example.org/doc"},
    ])
    dump(plan / "phase-1.yaml", {
        "slug": "phase-1", "order": 1, "title": "阶段一", "title_en": "Phase one", "duration": "1-2个月",
        "duration_en": "1-2 months", "start_week": 0, "weeks": 8,
        "sections": [{
            "slug": "setup", "number": 1, "title": "环境", "title_en": "Setup", "tutorial": "快速使用",
            "tutorial_en": "Quickstart",
            "chapters": [{"title": "快速使用", "title_en": "Quickstart",
                          "url": "https://github.com/QwenLM/Qwen/blob/main/README_CN.md#快速使用",
                          "url_en": "https://github.com/QwenLM/Qwen/blob/main/README.md#quickstart"}],
            "tasks": [{"slug": "mini-task", "kind": "hands-on", "title": "任务", "title_en": "Task",
                       "body": "做一件事。\n\n**完成标准**\n\n- 一\n- 二\n", "skills": ["algorithms"],
                       "resources": ["key-book"]}],
        }],
    })
    dump(plan / "plan.yaml", {
        "title": "学习计划：迷你", "title_en": "Study plan: mini",
        "goal": "一年学会。", "goal_en": "Learn it in a year.",
        "hardware": {"status": "一张卡。", "status_en": "One GPU.", "solutions": []},
        "timeline": [{"slug": "timeline-short", "title": "短期", "title_en": "Short term", "months": "1-2",
                      "goal": "入门。", "goal_en": "Get started."}],
        "questions": [{"slug": "mini-question", "number": 1, "title": "硬件不足", "title_en": "Not enough hardware",
                       "answer": "先算显存。", "answer_en": "Work out the memory first.", "skills": ["algorithms"],
                       "articles": ["mini-article"], "tasks": ["mini-task"]}],
    })
    (root / "kb").mkdir()
    (root / "kb" / "mini-article.md").write_text(MINI_ARTICLE, encoding="utf-8")
    ex = root / "exercises" / "attention" / "mini-exercise"
    ex.mkdir(parents=True)
    dump(ex / "exercise.yaml", {
        "slug": "mini-exercise", "kind": "numeric", "title": "算一个数", "title_en": "Compute a number",
        "difficulty": "easy", "skills": ["algorithms"],
        "statement": "求 $2^{10}$。", "statement_en": "Compute $2^{10}$.",
        "answer": 1024, "tolerance": {"rel": 0.0}, "explanation": "1024。", "explanation_en": "1024.",
    })
    return root


@pytest.fixture
def mini(tmp_path) -> Path:
    return mini_content(tmp_path / "content")


def _edit_article(root: Path, old: str, new: str) -> None:
    path = root / "kb" / "mini-article.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _task(d):
    return d["sections"][0]["tasks"][0]


def _add_exercise(root: Path, slug: str) -> None:
    src = root / "exercises" / "attention" / "mini-exercise"
    dest = src.parent / slug
    shutil.copytree(src, dest)
    edit_yaml(dest / "exercise.yaml", lambda d: d.update(slug=slug))


@pytest.mark.django_db
def test_sound_content_passes_every_check_and_loads(mini):
    assert check_content(mini) == []
    report = load_content(mini, enforce=CHECKS)
    assert report.warnings == [] and Task.objects.get(slug="mini-task").phase.slug == "phase-1"
    assert Article.objects.get(slug="mini-article").exercises.get().slug == "mini-exercise"


# Each case: (what to break, file, item, field, words the message must contain). Every one is refused by the
# loader with file, item and field named, and nothing is written.
BREAKAGES = {
    # (a) citations readers cannot open
    "article cites facts.md": (
        lambda r: _edit_article(r, "正文，", "正文（数据见 facts.md），"),
        "kb/mini-article.md", "mini-article", "body", "cites 'facts.md'"),
    "task cites ../shared": (
        lambda r: edit_yaml(r / "plan" / "phase-1.yaml",
                            lambda d: _task(d).update(body="见 ../shared/reference/labs-anchors.md\n")),
        "plan/phase-1.yaml", "mini-task", "body", "cites '../shared'"),
    "plan note cites labs-anchors.md": (
        lambda r: edit_yaml(r / "plan" / "plan.yaml",
                            lambda d: d["questions"][0].update(answer_en="See labs-anchors.md.")),
        "plan/plan.yaml", "mini-question", "answer_en", "cites 'labs-anchors.md'"),
    "interview answer cites facts.md": (
        lambda r: _edit_article(r, "a: 答案一。", "a: 答案一（facts.md）。"),
        "kb/mini-article.md", "mini-article", "interview.1.a", "cites 'facts.md'"),
    "exercise links a missing file": (
        lambda r: edit_yaml(r / "exercises" / "attention" / "mini-exercise" / "exercise.yaml",
                            lambda d: d.update(statement="看 [这张图](figure.png)。")),
        "exercises/attention/mini-exercise/exercise.yaml", "mini-exercise", "statement",
        "links 'figure.png', a file that does not exist"),
    # (b) slugs that do not exist, wherever content names one
    "article names a missing exercise": (
        lambda r: _edit_article(r, "exercises: [mini-exercise]", "exercises: [mini-exercise, no-such-exercise]"),
        "kb/mini-article.md", "mini-article", "exercises", "unknown slug 'no-such-exercise'"),
    "article names a missing task": (
        lambda r: _edit_article(r, "tasks: [mini-task]", "tasks: [no-such-task]"),
        "kb/mini-article.md", "mini-article", "tasks", "unknown slug 'no-such-task'"),
    "article names a missing skill": (
        lambda r: _edit_article(r, "skills: [algorithms]", "skills: [no-such-skill]"),
        "kb/mini-article.md", "mini-article", "skills", "unknown slug 'no-such-skill'"),
    "article names a missing lab": (
        lambda r: _edit_article(r, "labs: [vllm-batch]", "labs: [gpu-party]"),
        "kb/mini-article.md", "mini-article", "labs.0", "is not one of"),
    "article body links a missing exercise": (
        lambda r: _edit_article(r, "/practice/mini-exercise/", "/practice/no-such-exercise/"),
        "kb/mini-article.md", "mini-article", "body", "no exercise 'no-such-exercise' exists"),
    "article body links a missing lab": (
        lambda r: _edit_article(r, "/labs/new/vllm-batch/", "/labs/new/gpu-party/"),
        "kb/mini-article.md", "mini-article", "body", "no lab 'gpu-party' exists"),
    "task body links a missing article": (
        lambda r: edit_yaml(r / "plan" / "phase-1.yaml",
                            lambda d: _task(d).update(body="读 [这篇](/kb/no-such-article/)。\n")),
        "plan/phase-1.yaml", "mini-task", "body", "no article 'no-such-article' exists"),
    "task names a missing resource": (
        lambda r: edit_yaml(r / "plan" / "phase-1.yaml", lambda d: _task(d).update(resources=["no-such-resource"])),
        "plan/phase-1.yaml", "mini-task", "resources", "unknown slug 'no-such-resource'"),
    "plan question names a missing article": (
        lambda r: edit_yaml(r / "plan" / "plan.yaml", lambda d: d["questions"][0].update(articles=["no-such-one"])),
        "plan/plan.yaml", "mini-question", "articles", "unknown slug 'no-such-one'"),
    "plan question names a missing task": (
        lambda r: edit_yaml(r / "plan" / "plan.yaml", lambda d: d["questions"][0].update(tasks=["no-such-task"])),
        "plan/plan.yaml", "mini-question", "tasks", "unknown slug 'no-such-task'"),
    "exercise names a missing skill": (
        lambda r: edit_yaml(r / "exercises" / "attention" / "mini-exercise" / "exercise.yaml",
                            lambda d: d.update(skills=["no-such-skill"])),
        "exercises/attention/mini-exercise/exercise.yaml", "mini-exercise", "skills", "unknown slug 'no-such-skill'"),
    # (c) cards without English
    "interview card without a_en": (
        lambda r: _edit_article(r, "    a_en: Answer one.\n", ""),
        "kb/mini-article.md", "mini-article", "interview.1.a_en", "no English"),
    "interview card without q_en": (
        lambda r: _edit_article(r, "    q_en: Question one?\n", ""),
        "kb/mini-article.md", "mini-article", "interview.1.q_en", "no English"),
    "plan question without answer_en": (
        lambda r: edit_yaml(r / "plan" / "plan.yaml", lambda d: d["questions"][0].pop("answer_en")),
        "plan/plan.yaml", "mini-question", "answer_en", "is required"),
    # (d) lists that would render inline
    "task body list straight after a paragraph line": (
        lambda r: edit_yaml(r / "plan" / "phase-1.yaml",
                            lambda d: _task(d).update(body="做一件事。\n**完成标准**\n- 一\n- 二\n")),
        "plan/phase-1.yaml", "mini-task", "body", "line 3 of the text starts a list straight after a paragraph"),
    "article body numbered list straight after a paragraph line": (
        lambda r: _edit_article(r, "完成标准：\n\n- 第一条", "完成标准：\n1. 第一条"),
        "kb/mini-article.md", "mini-article", "body", "line 20 starts a list straight after a paragraph line"),
    "exercise explanation list straight after a paragraph line": (
        lambda r: edit_yaml(r / "exercises" / "attention" / "mini-exercise" / "exercise.yaml",
                            lambda d: d.update(explanation_en="Two steps:\n* square\n* square again\n")),
        "exercises/attention/mini-exercise/exercise.yaml", "mini-exercise", "explanation_en",
        "line 2 of the text starts a list"),
    "plan answer list straight after a paragraph line": (
        lambda r: edit_yaml(r / "plan" / "plan.yaml",
                            lambda d: d["questions"][0].update(answer="两步：\n- 算\n- 选\n")),
        "plan/plan.yaml", "mini-question", "answer", "line 2 of the text starts a list"),
    "article shows a static file that does not exist": (
        lambda r: _edit_article(r, "正文，", "正文（![块表](/static/kb/no-such-diagram.svg)），"),
        "kb/mini-article.md", "mini-article", "body", "'/static/kb/no-such-diagram.svg', a static file that does not"),
    # (e) an exercise no article leads to, an article that leads to no exercise
    "article leads to no exercise": (
        lambda r: (_edit_article(r, "exercises: [mini-exercise]", "exercises: []"),
                   _edit_article(r, "、[练习](/practice/mini-exercise/)", "")),
        "kb/mini-article.md", "mini-article", "exercises", "the article leads to no exercise"),
    # (f) a hands-on article without its "on your hardware" box
    "hands-on article without a hardware box": (
        lambda r: _edit_article(r, "labs: [vllm-batch]", "labs: [vllm-batch]\nhands_on: true"),
        "kb/mini-article.md", "mini-article", "body", "has no hardware box"),
    "hands-on article whose hardware box is only inside a code fence": (
        lambda r: (_edit_article(r, "labs: [vllm-batch]", "labs: [vllm-batch]\nhands_on: true"),
                   _edit_article(r, "代码块里的行", '!!! hardware "在你的硬件上"\n    8 GB 卡：Int4。')),
        "kb/mini-article.md", "mini-article", "body", "has no hardware box"),
    "hands-on article whose hardware box has no body": (
        lambda r: (_edit_article(r, "labs: [vllm-batch]", "labs: [vllm-batch]\nhands_on: true"),
                   _edit_article(r, "完成标准：", '!!! hardware "在你的硬件上"\n\n8 GB 卡：Int4。\n\n完成标准：')),
        "kb/mini-article.md", "mini-article", "body", "has no hardware box"),
    "exercise linked from no article": (
        lambda r: _add_exercise(r, "lonely-exercise"),
        "exercises/attention/lonely-exercise/exercise.yaml", "lonely-exercise", "slug",
        "no knowledge-base article links this exercise"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(BREAKAGES))
def test_each_content_check_refuses_naming_file_item_and_field_and_loads_nothing(mini, case):
    breakage, filename, item, field, needle = BREAKAGES[case]
    breakage(mini)
    with pytest.raises(ContentError) as err:
        load_content(mini, enforce=CHECKS)
    first = str(err.value).splitlines()[0]
    assert filename in first and f"item '{item}'" in first and f"field '{field}'" in first, first
    assert needle in first, first
    assert Phase.objects.count() == 0 and Task.objects.count() == 0 and Resource.objects.count() == 0
    assert not Article.objects.filter(slug="mini-article").exists()


@pytest.mark.django_db
def test_every_problem_is_listed_not_only_the_first(mini):
    _edit_article(mini, "正文，", "正文（facts.md）。\n文字\n- 列表\n\n")
    _add_exercise(mini, "lonely-exercise")
    codes = sorted(e.check for e in check_content(mini))
    assert codes == ["inline-list", "unlinked-exercise", "unreadable-citation"]
    with pytest.raises(ContentError) as err:
        load_content(mini, enforce=CHECKS)
    assert len(str(err.value).splitlines()) == 3


@pytest.mark.django_db
def test_a_hands_on_article_with_its_hardware_box_passes_and_renders_the_box(mini):
    box = ('!!! hardware "在你的硬件上"\n    - **8 GB 笔记本**：Int4 权重。\n    - 两张卡：TP=2。\n\n'
           '    | 卡 | 能跑 |\n    |---|---|\n    | 24 GB | BF16 |\n\n')
    _edit_article(mini, "labs: [vllm-batch]", "labs: [vllm-batch]\nhands_on: true")
    _edit_article(mini, "完成标准：", box + "完成标准：")
    assert check_content(mini) == []
    html = render_markdown(box)
    assert '<div class="admonition hardware">' in html and '<p class="admonition-title">在你的硬件上</p>' in html
    assert "<td>24 GB</td>" in html and "<li>两张卡：TP=2。</li>" in html  # the box's body is Markdown too
    assert inline_list_lines(box) == []  # a list may open the box's body


@pytest.mark.django_db
def test_a_numeric_exercise_refuses_a_known_wrong_answer_its_tolerance_would_accept(mini):
    path = mini / "exercises" / "attention" / "mini-exercise" / "exercise.yaml"
    edit_yaml(path, lambda d: d.update(tolerance={"rel": 0.05}, wrong_answers=[
        {"value": 1000, "why": "2 × 500"}, {"value": 512, "why": "2^9"}]))
    with pytest.raises(ContentError) as err:
        load_content(mini, enforce=CHECKS)
    message = str(err.value)
    assert "item 'mini-exercise'" in message and "field 'wrong_answers.0.value'" in message
    assert "known-wrong answer 1000 (2 × 500) is within the tolerance" in message
    assert not Article.objects.filter(slug="mini-article").exists()
    edit_yaml(path, lambda d: d.update(tolerance={"rel": 0.01}))  # now 1000 is refused by the check, as it should be
    load_content(mini, enforce=CHECKS)


@pytest.mark.django_db
def test_an_article_may_show_a_static_file_that_exists(mini):
    _edit_article(mini, "正文，", "正文（![样式](/static/css/dojo.css)），")
    assert check_content(mini) == []


@pytest.mark.django_db
def test_a_relative_link_to_a_file_that_exists_is_fine(mini):
    (mini / "kb" / "diagram.svg").write_text("<svg/>", encoding="utf-8")
    _edit_article(mini, "正文，", "正文（见 [示意图](diagram.svg#part)），")
    assert check_content(mini) == []


def test_article_labs_are_the_contracts_labs():
    """A lab added to labcontract.LABS is a valid article link with no second list to edit."""
    assert kb_content.FRONT_MATTER_SCHEMA["properties"]["labs"]["items"]["enum"] == list(labcontract.LABS)
    assert {"quant-inference", "vllm-batch", "cpp-tokenizer"} <= set(labcontract.LABS)


@pytest.mark.parametrize("text, bad, renders_list", [
    ("段落\n- a\n- b\n", [2], False),
    ("段落\n\n- a\n- b\n", [], True),
    ("**完成标准**\n1. a\n2. b\n", [2], False),
    ("* a\n* b\n", [], True),  # a list at the very start
    ("- a\n  续行\n- b\n", [], True),  # a continuation line inside a list
    ("- a\n懒续行\n- b\n", [], True),  # a lazy continuation is still the same list
    ("## 标题\n- a\n", [], True),  # a heading is its own block
    ("段落\n```\n- not a list\n```\n", [], False),  # inside a fence nothing is a list
    ("段落\n\n```\ncode\n```\n- a\n", [6], False),  # straight after a closing fence it renders inline too
    ("| a | b |\n|---|---|\n| 1 | 2 |\n- x\n", [4], False),  # swallowed as a table row
    ("> 引用\n> - a\n", [2], False),
    ("**粗体**开头不是列表\n-1 也不是\n", [], False),
])
def test_inline_list_detection_matches_what_markdown_renders(text, bad, renders_list):
    assert inline_list_lines(text) == bad
    html = re.sub(r"<pre.*?</pre>", "", str(render_markdown(text)), flags=re.S)
    assert ("<li>" in html) == renders_list, html


def test_task_bodies_render_their_lists_as_lists(plan_content):
    """The first task's 完成标准 are a list, not '完成标准 - python -c ... - 笔记里记下 ...' in one paragraph."""
    html = str(render_markdown(Task.objects.get(slug="install-python-pytorch-transformers").body))
    assert "<ul>" in html and html.count("<li>") == 2
    assert not re.search(r"<p>[^<]*(?:<[^>]+>[^<]*)*\n- ", html)
    real = [e for e in check_content(settings.CONTENT_DIR) if e.check == "inline-list" and "plan" in e.path]
    assert real == [], [str(e) for e in real]


# ---- the plan's frame on the pages ------------------------------------------------------------------------


def test_plan_page_shows_title_durations_key_resources_questions_and_goal(plan_content, client_a):
    html = client_a.get("/plan/").content.decode()
    assert '<h1 data-testid="plan-title">学习计划：从零到大模型部署工程师的详细路径</h1>' in html
    for slug, months in (("timeline-short", "1-2"), ("timeline-medium", "3-6"), ("timeline-long", "6+")):
        assert re.search(rf'data-testid="timeline-{slug}">.*?data-testid="months">{re.escape(months)} 个月<', html)
    key = re.search(r'data-testid="key-resources">(.*?)</div>', html, re.S).group(1)
    assert key.count('data-testid="key-resource-') == 9
    for title in ("《CUDA C编程权威指南》", "《深入理解计算机系统》", "CMU 15-418", "CS224N", "vLLM", "TensorRT-LLM",
                  "FastChat", "Hugging Face 论坛", "DeepSpeed GitHub Issues"):
        assert title in key, title
    question = re.search(r'data-testid="question-hardware-shortage">(.*?)</details>', html, re.S).group(1)
    assert 'href="/kb/gpu-memory-optimization/"' in question and 'href="/tasks/deploy-qwen-7b-chat-int4/"' in question
    assert "8.2 GB" in question  # a concrete answer, not the one-line slogan
    assert "通过以上计划，你可以在1年内系统掌握大模型部署的核心技能" in html

    client_a.cookies["django_language"] = "en"
    en = client_a.get("/plan/").content.decode()
    assert "Study plan: the detailed path from zero to LLM deployment engineer" in en
    assert 'data-testid="months">6+ months<' in en and "Key resources" in en
    assert "Professional CUDA C Programming" in en and "Work out the memory" in en


def test_resources_page_shows_the_nine_key_resources_as_their_own_group(plan_content, client_a):
    html = client_a.get("/resources/").content.decode()
    key_group = html.split('data-testid="key-group"', 1)[1].split('data-testid="other-group"', 1)[0]
    others = html.split('data-testid="other-group"', 1)[1]
    key_slugs = set(Resource.objects.filter(key=True).values_list("slug", flat=True))
    assert len(key_slugs) == 9
    assert set(re.findall(r'data-testid="resource-([a-z0-9-]+)"', key_group)) == key_slugs
    assert not key_slugs & set(re.findall(r'data-testid="resource-([a-z0-9-]+)"', others))
    assert len(re.findall(r'data-testid="resource-', others)) == Resource.objects.count() - 9
    books = client_a.get("/resources/?type=book").content.decode()  # filters apply to both groups
    assert books.count('data-testid="resource-book-') == 2 and "关键资源推荐" in books


def test_phase_page_links_tutorial_chapters_to_the_qwen_readme(plan_content, client_a):
    html = client_a.get("/plan/phase-1/").content.decode()
    assert f'href="https://github.com/QwenLM/Qwen/blob/main/README_CN.md#{quote("快速使用")}"' in html
    assert f'href="https://github.com/QwenLM/Qwen/blob/main/README_CN.md#{quote("量化")}"' in html
    long_context = client_a.get("/plan/phase-2/").content.decode()
    assert f'README_CN.md#{quote("长文本理解")}"' in long_context
    assert f'README_CN.md#{quote("-系统指令-system-prompt")}"' in long_context
    client_a.cookies["django_language"] = "en"
    en = client_a.get("/plan/phase-1/").content.decode()
    assert 'href="https://github.com/QwenLM/Qwen/blob/main/README.md#quickstart"' in en and ">Quickstart</a>" in en
    assert all(s.tutorial_links for s in Section.objects.filter(phase__order__lte=2))


@pytest.mark.django_db
def test_load_content_check_command_refuses_what_the_checks_find(mini):
    """The management command (and so make run, the web container's start and the test session) refuses too."""
    from core.content_loader import PENDING_CHECKS

    assert "unreadable-citation" not in PENDING_CHECKS and "english" not in PENDING_CHECKS
    _edit_article(mini, "正文，", "正文（facts.md），")
    _edit_article(mini, "    a_en: Answer one.\n", "")
    with pytest.raises(CommandError) as err:
        load(mini, "--check")
    message = str(err.value)
    assert message.startswith("content error, nothing loaded:")
    assert "kb/mini-article.md: item 'mini-article': field 'body': line 16 cites 'facts.md'" in message
    assert "kb/mini-article.md: item 'mini-article': field 'interview.1.a_en': interview card has no English" in message


def test_a_check_stays_pending_only_while_the_real_content_still_fails_it():
    """PENDING_CHECKS is a to-do list, not an exemption: once content passes a check, it must refuse again."""
    from core.content_loader import PENDING_CHECKS

    failing = {e.check for e in check_content(settings.CONTENT_DIR)}
    assert failing == set(PENDING_CHECKS), f"failing now: {sorted(failing)}; pending: {sorted(PENDING_CHECKS)}"
