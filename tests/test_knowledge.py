"""Knowledge base: loading and rendering articles, search in Chinese and English, skill levels from evidence,
the FSRS review flow, and flat query counts on the dashboard and search pages."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from core.content_loader import ContentError
from evidence.skills import skill_levels
from knowledge import content as kb_content
from knowledge.models import Article, ChecklistItem, ReviewCard, ReviewLog
from knowledge.reviews import review_item
from knowledge.search import search, segment
from labs.models import LabJob
from practice.models import Exercise, Submission
from tracker.models import Skill, Status, Task
from tracker.services import task_set_notes, task_set_status

pytestmark = pytest.mark.django_db
CONTENT = Path(settings.BASE_DIR) / "content"

QUANT_RESULT = {
    "lab": "quant-inference", "model": "fixture", "device": "cuda", "reference_precision": "fp16",
    "precisions": [
        {"precision": "fp16", "status": "ok", "backend": "torch", "weight_bytes": 1_000_000,
         "memory": {"peak_rss_bytes": 900 * 2**20, "cuda_max_allocated_bytes": 2048 * 2**20},
         "decode_tokens_per_s": 123.456, "mbu": 0.617, "quality": {"perplexity": 8.91}},
        {"precision": "int4", "status": "unsupported", "reason": "no bitsandbytes"},
    ],
}


def solve(user, slug: str, *, verdict: str = "AC", mode: str = "submit", at=None) -> Submission:
    return Submission.objects.create(user=user, exercise=Exercise.objects.get(slug=slug), mode=mode,
                                     status="done", verdict=verdict, created_at=at or timezone.now())


def lab_job(user, lab: str = "quant-inference", *, status: str = "succeeded", result=None, at=None) -> LabJob:
    return LabJob.objects.create(user=user, lab=lab, queue="lab.cuda", status=status,
                                 result=result if result is not None else QUANT_RESULT,
                                 created_at=at or timezone.now(), finished_at=at or timezone.now())


# ---- content ---------------------------------------------------------------------------------------------


def test_every_kb_file_becomes_an_article_with_its_links(plan_content):
    assert Article.objects.live().count() == len(list((CONTENT / "kb").glob("*.md")))
    gptq = Article.objects.get(slug="gptq-awq")
    assert set(gptq.skills.values_list("slug", flat=True)) == {"quantization"}
    assert "deploy-qwen-7b-chat-int4" in set(gptq.tasks.values_list("slug", flat=True))
    assert set(gptq.exercises.values_list("slug", flat=True)) == {
        "decode-ceiling", "planner-qwen7b-int4-laptop-memory", "planner-awq-users-rtx4090"}
    assert gptq.labs == ["quant-inference"]
    assert ChecklistItem.objects.filter(article=gptq).count() == 4
    assert ChecklistItem.objects.filter(source="plan", user__isnull=True).count() == 6


def _content_copy(tmp_path: Path, article: str) -> Path:
    shutil.copytree(CONTENT / "plan", tmp_path / "plan")
    ex = tmp_path / "exercises" / "attention" / "decode-ceiling"
    ex.mkdir(parents=True)
    shutil.copy(CONTENT / "exercises" / "attention" / "decode-ceiling" / "exercise.yaml", ex / "exercise.yaml")
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "broken.md").write_text(article, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("front, field, needle", [
    ("skills: [no-such-skill]", "skills", "unknown slug 'no-such-skill'"),
    ("skills: [quantization]\nexercises: [not-on-disk]", "exercises", "unknown slug 'not-on-disk'"),
    ("skills: [quantization]\ntasks: [no-such-task]", "tasks", "unknown slug 'no-such-task'"),
    ("skills: [quantization]\nlabs: [gpu-party]", "labs.0", "is not one of"),
])
def test_a_bad_article_is_reported_by_file_item_and_field(tmp_path, front, field, needle):
    root = _content_copy(tmp_path, f"---\nslug: broken\ntitle: 坏文章\n{front}\n---\n正文\n")
    with pytest.raises(ContentError) as err:
        kb_content.parse(root)
    message = str(err.value)
    assert "kb/broken.md" in message and "item 'broken'" in message and f"field '{field}'" in message
    assert needle in message


def test_article_page_renders_markdown_and_links_tasks_exercises_and_labs(client_a, plan_content):
    html = client_a.get(reverse("article", args=["gptq-awq"])).content.decode()
    assert "<h2" in html and "<pre" in html  # Markdown headings and a fenced code block became HTML
    assert 'href="/tasks/deploy-qwen-7b-chat-int4/"' in html
    assert 'href="/practice/decode-ceiling/"' in html and 'href="/labs/"' in html
    assert "GPTQ 相比直接四舍五入（RTN）好在哪里？" in html


def test_scripts_in_articles_and_notes_stay_inert(client_a, user, plan_content):
    evil = ("# 标题\n\n<script>alert('kb')</script>\n\n<img src=x onerror=alert(1)>\n\n"
            "[点我](javascript:alert(2)) 量化攻击")
    Article.objects.create(slug="evil", title="恶意 <b>文章</b>", body=evil)
    html = client_a.get(reverse("article", args=["evil"])).content.decode()
    assert "<script>alert('kb')" not in html and "onerror" not in html and "javascript:" not in html
    assert "恶意 &lt;b&gt;文章&lt;/b&gt;" in html
    task = Task.objects.live().first()
    task_set_notes(user=user, task=task, notes="我的量化笔记 <script>alert('note')</script><img src=x onerror=y>")
    page = client_a.get(reverse("search"), {"q": "量化笔记"}).content.decode()
    assert "<script>alert('note')" not in page and "<img src=x" not in page
    assert "&lt;script" in page  # shown as text, escaped
    assert "<mark>量化笔记</mark>" in page


def test_task_page_lists_the_articles_that_practise_the_task(client_a, plan_content):
    task = Task.objects.get(slug="deploy-qwen-7b-chat-int4")
    page = client_a.get(reverse("task", args=[task.slug])).content.decode()
    assert 'data-testid="related-articles"' in page and 'href="/kb/gptq-awq/"' in page
    # Every task of the real plan is practised by some article: unlink one to see the card disappear.
    lonely = Task.objects.live().exclude(slug=task.slug).first()
    lonely.articles.clear()
    assert 'data-testid="related-articles"' not in client_a.get(reverse("task", args=[lonely.slug])).content.decode()


# ---- search ----------------------------------------------------------------------------------------------


def test_segmentation_lets_a_chinese_word_match_inside_a_longer_one():
    assert " 量化 " in segment("权重量化") and " int4 " in segment("Qwen INT4-AWQ")


def test_chinese_query_finds_a_word_inside_a_compound(user, plan_content):
    hits = search("量化", user=user)
    slugs = [h.doc.slug for h in hits]
    assert "gptq-awq" in slugs[:3]  # "训练后权重量化" in its title
    top = next(h for h in hits if h.doc.slug == "gptq-awq")
    assert "权重<mark>量化</mark>" in top.title_html


def test_english_query_ranks_the_article_on_that_topic_first(user, plan_content):
    hits = search("PagedAttention", user=user)
    assert hits[0].doc.kind == "article" and hits[0].doc.slug == "paged-attention"
    assert "<mark>PagedAttention</mark>" in hits[0].title_html
    assert search("pagedattention zzzqqq", user=user) == []  # every word must match


def test_search_on_the_sqlite_fallback_matches_the_same_documents(user, plan_content, monkeypatch):
    on_postgres = [h.doc.slug for h in search("量化 显存", user=user)]
    monkeypatch.setattr(connection, "vendor", "sqlite")
    fallback = [h.doc.slug for h in search("量化 显存", user=user)]
    assert fallback and set(fallback) == set(on_postgres)


def test_notes_are_searchable_only_by_their_author(client, user, other_user, plan_content):
    task = Task.objects.live().first()
    task_set_notes(user=user, task=task, notes="今天调通了 speculative decoding 的草稿模型")
    client.force_login(user)
    mine = client.get(reverse("search"), {"q": "草稿模型"}).content.decode()
    assert 'data-kind="note"' in mine and f'href="/tasks/{task.slug}/"' in mine
    client.force_login(other_user)
    theirs = client.get(reverse("search"), {"q": "草稿模型"}).content.decode()
    assert 'data-kind="note"' not in theirs
    task_set_notes(user=user, task=task, notes="")
    assert search("草稿模型", user=user) == []


# ---- skills ----------------------------------------------------------------------------------------------


def test_skill_levels_come_from_tasks_exercises_and_labs(client_a, user, plan_content):
    before = {lvl.skill.slug: lvl for lvl in skill_levels(user)}
    assert all(lvl.pct == 0 for lvl in before.values())
    quant_task = Task.objects.live().filter(skills__slug="quantization").first()
    task_set_status(user=user, task=quant_task, status=Status.DONE)
    exercise = Exercise.objects.live().filter(skills__slug="quantization").first() or \
        Exercise.objects.get(slug="decode-ceiling")
    solve(user, exercise.slug)
    solve(user, exercise.slug)  # solving twice is one piece of evidence
    solve(user, exercise.slug, mode="examples")
    lab_job(user)
    lab_job(user, "vllm-batch", status="failed", result={})
    after = {lvl.skill.slug: lvl for lvl in skill_levels(user)}
    q = after["quantization"]
    assert q.tasks_done == 1 and q.labs_done == ["quant-inference"]
    expected_ex = exercise.weight if exercise.skills.filter(slug="quantization").exists() else 0
    assert q.exercise_points == expected_ex
    assert q.earned == 1 + expected_ex + 3 and q.pct == round(100 * q.earned / q.possible)
    assert after["gpu-memory"].labs_done == ["quant-inference"]
    assert after["inference-acceleration"].labs_done == []  # failed jobs are no evidence
    page = client_a.get(reverse("skill", args=["quantization"])).content.decode()
    assert f'data-testid="skill-pct">{q.pct}%' in page
    assert f'href="/tasks/{quant_task.slug}/"' in page
    assert "123.5" in page and "2048 MiB" in page and "62%" in page  # decode tok/s, CUDA peak, MBU


def test_dashboard_shows_skills_heatmap_lab_figures_and_next_steps(client_a, user, plan_content):
    solve(user, "decode-ceiling", at=timezone.now() - dt.timedelta(days=3))
    task_set_status(user=user, task=Task.objects.live().first(), status=Status.DOING)
    lab_job(user)  # a lab run is shown with its figures but is not counted as activity
    html = client_a.get(reverse("dashboard")).content.decode()
    assert 'id="skills-chart"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert html.count('data-skill="') == Skill.objects.live().count()
    assert 'data-testid="heatmap"' in html and ">2 次，2 天<" in html
    assert "123.5" in html
    assert 'data-testid="suggested-exercise"' in html


# ---- interview checklist and FSRS ------------------------------------------------------------------------


def test_review_flow_schedules_with_fsrs(client_a, user, plan_content):
    page = client_a.get(reverse("review")).content.decode()
    first = ChecklistItem.objects.filter(user__isnull=True, archived=False).order_by("source", "order", "id").first()
    assert first.prompt in page and first.answer[:10] not in page  # answer hidden until revealed
    revealed = client_a.get(reverse("review_reveal", args=[first.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="review-answer"' in revealed and 'data-rating="4"' in revealed
    t0 = timezone.now()
    response = client_a.post(reverse("review_rate", args=[first.pk]), {"rating": "3"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    card = ReviewCard.objects.get(user=user, item=first)
    expected, _log = Scheduler(enable_fuzzing=False).review_card(Card(due=t0), Rating.Good, review_datetime=t0)
    assert abs((card.due - t0) - (expected.due - t0)) < dt.timedelta(seconds=5)
    assert ReviewLog.objects.filter(user=user, card=card, rating=3).count() == 1
    assert first.prompt not in response.content.decode()  # the next item is shown

    # Easy repeatedly pushes the card out by days; Again brings it back within minutes.
    now = t0
    for _ in range(3):
        now = card.due
        card = review_item(user=user, item=first, rating=4, now=now)
    assert card.due - now > dt.timedelta(days=3)
    card = review_item(user=user, item=first, rating=1, now=card.due)
    assert card.due - card.last_review < dt.timedelta(minutes=15)
    assert ReviewLog.objects.filter(card=card).count() == 5


def test_due_cards_come_before_new_items(user, plan_content):
    from knowledge.reviews import next_item

    late = ChecklistItem.objects.filter(source="article").order_by("-order").first()
    review_item(user=user, item=late, rating=1, now=timezone.now() - dt.timedelta(days=2))
    assert next_item(user) == late


def test_user_items_join_the_checklist_and_stay_private(client, user, other_user, plan_content):
    client.force_login(user)
    client.post(reverse("checklist_add"), {"prompt": "解释 continuous batching", "answer": "按迭代调度",
                                           "skills": [Skill.objects.get(slug="inference-acceleration").pk]})
    page = client.get(reverse("checklist")).content.decode()
    assert "解释 continuous batching" in page and "硬件不足" in page  # own item and the plan's 附加问题
    client.force_login(other_user)
    assert "解释 continuous batching" not in client.get(reverse("checklist")).content.decode()


def test_reviewing_raises_interview_readiness(client_a, user, plan_content):
    item = ChecklistItem.objects.filter(skills__slug="quantization", user__isnull=True).first()
    from knowledge.reviews import readiness_by_skill

    skill = Skill.objects.get(slug="quantization")
    assert readiness_by_skill(user).get(skill.id, 0) == 0
    review_item(user=user, item=item, rating=4)
    assert readiness_by_skill(user)[skill.id] > 0


# ---- query counts ----------------------------------------------------------------------------------------


def _seed_history(user, n: int) -> None:
    tasks = list(Task.objects.live()[:10])
    for t in tasks:
        task_set_status(user=user, task=t, status=Status.DONE)
        task_set_notes(user=user, task=t, notes=f"量化 笔记 {t.slug}")
    exercises = list(Exercise.objects.live()[:10])
    now = timezone.now()
    Submission.objects.bulk_create([
        Submission(user=user, exercise=exercises[i % len(exercises)], mode="submit", status="done",
                   verdict="AC" if i % 3 else "WA", created_at=now - dt.timedelta(hours=i)) for i in range(n)])
    LabJob.objects.bulk_create([LabJob(user=user, lab="quant-inference", queue="lab.cuda", status="succeeded",
                                       result=QUANT_RESULT, created_at=now - dt.timedelta(days=i))
                                for i in range(n // 10)])
    for item in ChecklistItem.objects.filter(user__isnull=True)[: n // 10]:
        review_item(user=user, item=item, rating=3, now=now - dt.timedelta(days=1))


def _count(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_and_search_query_counts_stay_flat_as_history_grows(client, make_user, plan_content,
                                                                         django_assert_max_num_queries):
    empty, light, heavy = make_user(), make_user(), make_user()
    _seed_history(light, 20)
    _seed_history(heavy, 400)
    counts = {}
    for name, u in (("empty", empty), ("light", light), ("heavy", heavy)):
        client.force_login(u)
        counts[name] = (_count(client, reverse("dashboard")), _count(client, reverse("search"), q="量化 笔记"))
    assert counts["empty"] == counts["light"] == counts["heavy"], counts
    client.force_login(heavy)
    with django_assert_max_num_queries(30):
        client.get(reverse("dashboard"))
    with django_assert_max_num_queries(6):
        client.get(reverse("search"), {"q": "量化"})


# ---- English cards and the plan's six questions ------------------------------------------------------------


def test_the_six_plan_questions_are_concrete_cards_linked_to_articles_and_tasks(client_a, plan_content):
    cards = ChecklistItem.objects.filter(source="plan", user__isnull=True).order_by("order")
    assert cards.count() == 6
    for card in cards:
        assert card.prompt_en and card.answer_en, card.key
        assert len(card.answer) > 200 and len(card.answer_en) > 400, card.key  # more than a one-line slogan
        kinds = {link["kind"] for link in card.links}
        assert kinds == {"article", "task"}, card.key
        for link in card.link_list:
            assert client_a.get(link["url"]).status_code == 200, link
    page = client_a.get(reverse("checklist")).content.decode()
    assert 'href="/kb/gpu-memory-optimization/" data-kind="article"' in page
    assert 'href="/tasks/cpp-rewrite-tokenizer/" data-kind="task"' in page


def test_cards_show_english_when_the_language_is_english(client_a, plan_content):
    article_card = ChecklistItem.objects.filter(source="article", user__isnull=True).order_by("order").first()
    ChecklistItem.objects.filter(pk=article_card.pk).update(prompt_en="What does the first card ask?",
                                                           answer_en="The **first** answer in English.")
    untranslated = ChecklistItem.objects.filter(source="article", user__isnull=True).exclude(pk=article_card.pk) \
        .order_by("order").first()
    ChecklistItem.objects.filter(pk=untranslated.pk).update(prompt_en="", answer_en="")

    zh = client_a.get(reverse("checklist")).content.decode()
    assert article_card.prompt in zh and "What does the first card ask?" not in zh
    assert "硬件不足" in zh and "Work out the memory first" not in zh

    client_a.cookies["django_language"] = "en"
    en = client_a.get(reverse("checklist")).content.decode()
    assert "What does the first card ask?" in en and "<strong>first</strong> answer in English" in en
    assert article_card.prompt not in en
    assert "Not enough hardware" in en and "Work out the memory" in en and "Read more" in en
    assert untranslated.prompt in en  # no English yet: the Chinese card, not an empty one

    review = client_a.get(reverse("review")).content.decode()
    assert 'data-testid="review-prompt">What does the first card ask?<' in review
    plan_card = ChecklistItem.objects.get(key="plan/is-cpp-necessary")
    revealed = client_a.get(reverse("review_reveal", args=[plan_card.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Is C++ necessary?" in revealed and "column-major" in revealed
    assert 'href="/kb/cublas/" data-kind="article"' in revealed and 'href="/tasks/cublas-matrix-multiply/"' in revealed
