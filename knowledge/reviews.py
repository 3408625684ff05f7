"""Spaced repetition of the interview checklist with FSRS (the `fsrs` package): rate an item, read the due
queue, and readiness per skill (mean recall probability of the skill's items)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import FilteredRelation, Q, QuerySet
from django.utils import timezone
from fsrs import Card, Rating, Scheduler

from core.versions import bump_user_version

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
    bump_user_version(user.id)  # the dashboard's activity counts reviews
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


FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass
class ReviewSummary:
    readiness: dict[int, int]  # skill id -> percent
    due: int
    new: int
    until: dt.datetime  # the first moment the clock alone changes it: a card falls due, or its recall decays


def _next_change(now: dt.datetime, due: dt.datetime, last_review: dt.datetime | None) -> dt.datetime:
    """When the clock alone next changes what a reviewed card adds: it falls due, or another whole day passes
    since its last review (fsrs counts elapsed time in whole days)."""
    falls_due = due if due > now else FOREVER
    if last_review is None:
        return falls_due
    return min(falls_due, last_review + dt.timedelta(days=max(0, (now - last_review).days) + 1))


def review_summary(user, *, now: dt.datetime | None = None) -> ReviewSummary:
    """Readiness per skill (mean FSRS retrievability over the skill's items, never-reviewed items counting 0)
    and the queue's counts, from one query whose rows are bounded by the checklist, not by the history."""
    now = now or timezone.now()
    rows = (visible_items(user).annotate(mine=FilteredRelation("cards", condition=Q(cards__user=user)))
            .order_by().values_list("id", "skills__id", "mine__id", "mine__due", "mine__stability",
                                    "mine__last_review"))
    recall: dict[int, float] = {}
    by_skill: dict[int, list[int]] = {}
    due = new = 0
    until = FOREVER
    for item_id, skill_id, card_id, card_due, stability, last_review in rows:  # one row per (item, skill)
        if item_id in recall:
            pass
        elif card_id is None:
            recall[item_id] = 0.0
            new += 1
        else:
            # Only the two columns kept beside the card's JSON are needed (no JSON decoding); the Card gets an
            # id because without one fsrs sleeps a millisecond to make a unique one.
            card = Card(card_id=card_id, stability=stability, last_review=last_review)
            recall[item_id] = SCHEDULER.get_card_retrievability(card, now)
            due += card_due <= now
            until = min(until, _next_change(now, card_due, last_review))
        if skill_id is not None:
            by_skill.setdefault(skill_id, []).append(item_id)
    readiness = {skill_id: round(100 * sum(recall[i] for i in items) / len(items))
                 for skill_id, items in by_skill.items()}
    return ReviewSummary(readiness=readiness, due=due, new=new, until=until)


def readiness_by_skill(user, *, now: dt.datetime | None = None) -> dict[int, int]:
    return review_summary(user, now=now).readiness


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
