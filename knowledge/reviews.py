"""Spaced repetition of the interview checklist with FSRS (the `fsrs` package): rate an item, read the due
queue, and readiness per skill (mean recall probability of the skill's items)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from .models import ChecklistItem, ReviewCard, ReviewLog

# Fuzzing spreads due dates randomly; off so that a rating always gives the same schedule (and tests agree).
SCHEDULER = Scheduler(enable_fuzzing=False)
NEW_PER_SESSION = 20


def visible_items(user) -> QuerySet[ChecklistItem]:
    return ChecklistItem.objects.filter(Q(user__isnull=True, archived=False) | Q(user=user))


@transaction.atomic
def review_item(*, user, item: ChecklistItem, rating: int, now: dt.datetime | None = None,
                duration_ms: int | None = None) -> ReviewCard:
    """Apply one rating (1 Again … 4 Easy) to the user's card for `item`, creating the card on first review."""
    now = now or timezone.now()
    rating_enum = Rating(int(rating))
    row = ReviewCard.objects.select_for_update().filter(user=user, item=item).first()
    card = Card.from_dict(row.card) if row else Card(due=now)
    card, _log = SCHEDULER.review_card(card, rating_enum, review_datetime=now)
    fields = {"card": card.to_dict(), "due": card.due, "state": int(card.state), "stability": card.stability,
              "last_review": card.last_review}
    if row is None:
        row = ReviewCard.objects.create(user=user, item=item, reps=1, **fields)
    else:
        for k, v in fields.items():
            setattr(row, k, v)
        row.reps += 1
        row.save()
    ReviewLog.objects.create(user=user, card=row, rating=int(rating_enum), reviewed_at=now, duration_ms=duration_ms)
    return row


def next_item(user, *, now: dt.datetime | None = None) -> ChecklistItem | None:
    """The most overdue card, else the first item never reviewed (two queries at most)."""
    now = now or timezone.now()
    due = (ReviewCard.objects.filter(user=user, due__lte=now, item__in=visible_items(user))
           .select_related("item__article").order_by("due", "id").first())
    if due:
        return due.item
    return (visible_items(user).exclude(cards__user=user).select_related("article")
            .order_by("source", "order", "id").first())


def queue_counts(user, *, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    items = visible_items(user)
    return {"due": ReviewCard.objects.filter(user=user, due__lte=now, item__in=items).count(),
            "new": items.exclude(cards__user=user).count()}


def readiness_by_skill(user, *, now: dt.datetime | None = None) -> dict[int, int]:
    """skill id -> percent: mean FSRS retrievability over the skill's items, never-reviewed items counting 0.

    Two queries; the rows read are bounded by the checklist's size, not by the review history.
    """
    now = now or timezone.now()
    links = ChecklistItem.skills.through.objects.filter(
        Q(checklistitem__user__isnull=True, checklistitem__archived=False) | Q(checklistitem__user=user)
    ).values_list("skill_id", "checklistitem_id")
    recall = {item_id: SCHEDULER.get_card_retrievability(Card.from_dict(card), now)
              for item_id, card in ReviewCard.objects.filter(user=user).values_list("item_id", "card")}
    totals: dict[int, list[float]] = {}
    for skill_id, item_id in links:
        totals.setdefault(skill_id, []).append(recall.get(item_id, 0.0))
    return {skill_id: round(100 * sum(v) / len(v)) for skill_id, v in totals.items()}


def intervals_preview(user, item: ChecklistItem, *, now: dt.datetime | None = None) -> dict[int, dt.timedelta]:
    """What each rating would schedule, shown on the buttons (no writes)."""
    now = now or timezone.now()
    row = ReviewCard.objects.filter(user=user, item=item).only("card").first()
    base = Card.from_dict(row.card) if row else Card(due=now)
    out = {}
    for r in Rating:
        card, _log = SCHEDULER.review_card(Card.from_dict(base.to_dict()), r, review_datetime=now)
        out[int(r)] = card.due - now
    return out
