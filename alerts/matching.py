"""Matching alert items to subscriber profiles, through indexes rather than every pair.

Items are indexed by theme, by département and by word; a profile's candidates are the union of its
themes' (and keywords') items, intersected with its places' items (all items for a national profile).
Only then are the finer conditions checked: notice kinds, value range, exclusion words, still open, and
whether this tender was already sent to this subscriber in this state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from alerts.items import Item
from alerts.subscribers import Subscriber
from classify.text import phrase_key
from notices.approch import band_range

RECENT_WITHOUT_DEADLINE_DAYS = 45
EXPECTED_GRACE_DAYS = 45  # an upcoming purchase is still worth telling this long after the day its call was due


@dataclass
class Match:
    item: Item
    change: str  # new, corrected, deadline, cancelled, awarded, updated, published (an upcoming's call is out)
    reasons: list[str]
    announced_in: str | None = None  # when this subscriber's digest told of it as upcoming (alerts.upcoming)


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 1:
        return phrase[0] in words
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


def change_of(item: Item, previous: str | None) -> str | None:
    """How a tender changed since it was last sent (None: unchanged, "new": never sent)."""
    if previous is None:
        return "new"
    if previous == item.signature:
        return None
    old_state, old_deadline, old_last, _ = (previous.split("|") + ["", "", "", ""])[:4]
    if item.state == "cancelled" and old_state != "cancelled":
        return "cancelled"
    if item.state == "awarded" and old_state != "awarded":
        return "awarded"
    if old_last in item.upcoming_keys and item.category == "open":
        return "published"  # sent as an upcoming purchase, its call is now out (in the same procedure)
    if (item.deadline_utc or "") != old_deadline:
        return "deadline"
    if item.state == "corrected" or item.last_status == "corrigendum":
        return "corrected"
    return "updated"


def is_open(item: Item, now_utc: str, now_day: str) -> bool:
    if item.state == "deadline_unknown":  # its deadline could not be read: it may well be closed
        return False
    if item.category == "upcoming" and not item.deadline_utc and item.expected_publication:
        due = date.fromisoformat(item.expected_publication) + timedelta(days=EXPECTED_GRACE_DAYS)
        return due >= date.fromisoformat(now_day)
    if item.deadline_utc:
        return item.deadline_utc > now_utc
    if not item.last_published:
        return False
    return date.fromisoformat(item.last_published) >= date.fromisoformat(now_day) - timedelta(
        days=RECENT_WITHOUT_DEADLINE_DAYS
    )


@dataclass
class Profile:
    """A subscriber's profile prepared once for matching (normalised words, places as a set)."""

    sub: Subscriber
    themes: list[str]
    keywords: list[tuple[str, tuple[str, ...]]]
    excluded: list[tuple[str, ...]]
    departements: frozenset[str]

    @classmethod
    def of(cls, sub: Subscriber) -> Profile:
        return cls(
            sub=sub,
            themes=list(sub.themes),
            keywords=[(w, k) for w in sub.keywords if (k := phrase_key(w))],
            excluded=[k for w in sub.exclude_keywords if (k := phrase_key(w))],
            departements=frozenset(sub.all_departements),
        )


def eligible(profile: Profile, item: Item, previous: str | None, now_utc: str, now_day: str) -> Match | None:
    """The fine conditions, for one candidate (shared by the indexed and the all-pairs matchers)."""
    sub = profile.sub
    change = change_of(item, previous)
    if change is None:
        return None
    if change == "new":
        if item.state == "cancelled" or not item.kinds & {"contract_notice", "prior_information", "award"}:
            return None  # nothing to answer: a cancelled tender, an ex-ante notice, a contract modification
        if item.category not in sub.notice_kinds:
            return None
        if item.category == "upcoming" and item.published_as:
            return None  # its call is out: that call is what to send (marked as announced)
        if item.category != "awards" and not is_open(item, now_utc, now_day):
            return None
    elif change not in ("cancelled", "awarded") and not is_open(item, now_utc, now_day):
        return None
    low, high = (item.value, item.value) if item.value is not None else band_range(item.value_band)
    if sub.value_min is not None and high is not None and high < sub.value_min:
        return None  # (a band, APProch's "100k - 500k€", is out only when the whole band is)
    if sub.value_max is not None and low is not None and low > sub.value_max:
        return None
    for key in profile.excluded:
        if _contains(item.words, key):
            return None
    reasons = [f"theme:{code}" for code in profile.themes if code in item.themes]
    reasons += [f"keyword:{w}" for w, k in profile.keywords if _contains(item.words, k)]
    if not reasons:
        return None
    return Match(item, change, reasons)


def _in_place(profile: Profile, item: Item) -> bool:
    return profile.sub.national or not profile.departements.isdisjoint(item.departements)


class AlertIndex:
    def __init__(self, items: Iterable[Item]):
        self.items = list(items)
        self.by_theme: dict[str, set[int]] = defaultdict(set)
        self.by_dept: dict[str, set[int]] = defaultdict(set)
        self.by_word: dict[str, set[int]] = defaultdict(set)
        for i, item in enumerate(self.items):
            for code in item.themes:
                self.by_theme[code].add(i)
            for d in item.departements:
                self.by_dept[d].add(i)
            for w in set(item.words):
                self.by_word[w].add(i)

    def candidates(self, profile: Profile) -> set[int]:
        found: set[int] = set()
        for code in profile.themes:
            found |= self.by_theme.get(code, set())
        for _, key in profile.keywords:
            found |= set.intersection(*(self.by_word.get(k, set()) for k in key))
        if not profile.sub.national:
            places: set[int] = set()
            for d in profile.departements:
                places |= self.by_dept.get(d, set())
            found &= places
        return found

    def match(self, sub: Subscriber, sent: dict[str, str], now_utc: str, now_day: str) -> list[Match]:
        profile = Profile.of(sub)
        out = []
        for i in sorted(self.candidates(profile)):
            item = self.items[i]
            m = eligible(profile, item, sent.get(item.procedure_id), now_utc, now_day)
            if m:
                out.append(m)
        return _ordered(out)


def match_all_pairs(
    items: list[Item], sub: Subscriber, sent: dict[str, str], now_utc: str, now_day: str
) -> list[Match]:
    """The naive matcher: every condition checked for every item (the benchmark's baseline, the tests' oracle)."""
    profile = Profile.of(sub)
    out = []
    for item in items:
        m = eligible(profile, item, sent.get(item.procedure_id), now_utc, now_day)
        if m and _in_place(profile, item):
            out.append(m)
    return _ordered(out)


def _ordered(matches: list[Match]) -> list[Match]:
    """Updates of tenders already sent first, then the soonest deadlines."""
    return sorted(matches, key=lambda m: (m.change == "new", m.item.deadline_utc or "9999", m.item.procedure_id))
