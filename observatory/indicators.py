"""The observatory's figures, computed from a list of awarded contracts (observatory.records.Awarded).

- number and amount of contracts (those without an amount counted in the number, not in the amounts);
- social considerations: the shares (of number and of amount) with a social clause, a social criterion, a
  reservation, among the contracts whose record states its considerations; how many state none and how many
  state nothing are given beside them;
- who wins: the shares of number and of amount going to ESS structures, to inclusive-employment structures,
  to TPE/PME, and to the charter's beneficiaries (TPE/PME or ESS), each with the part whose holder is unknown;
- the charter's target (25 % of the amounts to TPE/PME/ESS, `observatory.targets.sme_ess`) against the
  measured share, with its bounds: if every unknown holder were one (upper) or were not (lower).

A contract counts once in a number, as soon as one of its holders is of the kind (an ESS member of a group
makes it a contract "won by the ESS"); in an amount, each holder brings its equal part (records.Holder.share).
The insertion clause ("clause sociale" of the DECP) is the measurable proxy of the 10 % insertion-hours target:
the hours themselves are not in open data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields

from formatting.buyers import short_buyer
from formatting.places import departement_label as place_label
from formatting.text import display_text
from observatory.filters import month_label
from observatory.records import CRITERIA, Awarded

WINNER_KINDS = CRITERIA
SOCIAL_KINDS = ("clause", "criterion", "reserved")
GROUPINGS = ("buyer", "theme", "month", "departement")
DEFAULT_TARGETS = {"sme_ess": 0.25, "insertion_hours": 0.10}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class Share:
    """How many contracts, and how much of the amounts, are of a kind; `of_*` are the denominators."""

    count: int = 0
    amount: float = 0.0
    unknown_count: int = 0
    unknown_amount: float = 0.0
    of_count: int = 0
    of_amount: float = 0.0

    @property
    def of_number(self) -> float | None:
        return _ratio(self.count, self.of_count)

    @property
    def of_amounts(self) -> float | None:
        return _ratio(self.amount, self.of_amount)

    @property
    def unknown_of_amounts(self) -> float | None:
        return _ratio(self.unknown_amount, self.of_amount)

    @property
    def unknown_of_number(self) -> float | None:
        return _ratio(self.unknown_count, self.of_count)

    @property
    def upper_of_amounts(self) -> float | None:
        """If every holder of unknown kind were of the kind."""
        return _ratio(self.amount + self.unknown_amount, self.of_amount)


@dataclass
class Indicators:
    contracts: int = 0
    amount: float = 0.0
    without_amount: int = 0
    co_held: int = 0  # contracts with several holders (their amount split equally)
    stated: int = 0  # records stating their social considerations (even "none")
    stated_amount: float = 0.0
    stated_none: int = 0  # stated, and none of clause / criterion / reservation
    unstated: int = 0  # the record says nothing of them
    social: dict[str, Share] = field(default_factory=dict)  # clause, criterion, reserved
    winners: dict[str, Share] = field(default_factory=dict)  # ess, inclusive, sme, charter
    target: float = DEFAULT_TARGETS["sme_ess"]

    @property
    def charter(self) -> Share:
        return self.winners["charter"]

    @property
    def target_status(self) -> str:
        """ "atteint" when even the lower bound reaches the target, "non atteint" when even the upper bound
        does not, "indéterminé" when the unknown holders decide, "sans montant" when nothing is valued."""
        low, high = self.charter.of_amounts, self.charter.upper_of_amounts
        if low is None or high is None:
            return "sans montant"
        if low >= self.target:
            return "atteint"
        return "non atteint" if high < self.target else "indéterminé"


def compute(records: Iterable[Awarded], target: float = DEFAULT_TARGETS["sme_ess"]) -> Indicators:
    out = Indicators(target=target)
    out.social = {k: Share() for k in SOCIAL_KINDS}
    out.winners = {k: Share() for k in WINNER_KINDS}
    social = list(out.social.values())  # in SOCIAL_KINDS order, as the flags below
    winners = list(out.winners.values())  # in CRITERIA order, as each record's fractions
    for r in records:
        amount = r.amount or 0.0
        out.contracts += 1
        out.amount += amount
        out.without_amount += r.amount is None
        out.co_held += len(r.holders) > 1
        if r.social_stated:
            out.stated += 1
            out.stated_amount += amount
            flags = (r.clause, r.criterion, r.reserved)
            out.stated_none += not any(flags)
            for share, on in zip(social, flags, strict=True):
                share.of_count += 1
                share.of_amount += amount
                if on:
                    share.count += 1
                    share.amount += amount
        else:
            out.unstated += 1
        for share, (state, yes, unknown) in zip(winners, r.fractions, strict=True):
            share.of_count += 1
            share.of_amount += amount
            share.count += state == "yes"
            share.unknown_count += state == "unknown"
            share.amount += yes * amount
            share.unknown_amount += unknown * amount
    return out


_COUNTS = tuple(f.name for f in fields(Indicators) if f.name not in ("social", "winners", "target"))  # the sums
_SHARE_FIELDS = tuple(f.name for f in fields(Share))


def combine(parts: Iterable[Indicators], target: float = DEFAULT_TARGETS["sme_ess"]) -> Indicators:
    """The figures of contracts counted in `parts` taken together, each contract being in one part (a year from
    its months, without reading its contracts again: every figure is a sum)."""
    out = compute([], target)
    for part in parts:
        for name in _COUNTS:
            setattr(out, name, getattr(out, name) + getattr(part, name))
        for mine, theirs in ((out.social, part.social), (out.winners, part.winners)):
            for kind, share in theirs.items():
                for name in _SHARE_FIELDS:
                    setattr(mine[kind], name, getattr(mine[kind], name) + getattr(share, name))
    return out


@dataclass
class Group:
    key: str
    label: str
    records: list[Awarded]
    indicators: Indicators


def buyer_key(r: Awarded) -> str:
    """A buyer is its SIREN when a SIRET is given (its establishments are one buyer), else its name."""
    digits = (r.buyer_siret or "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 9:
        return digits[:9]
    return " ".join((r.buyer_name or "").casefold().split()) or "?"


def departement_label(code: str | None) -> str:
    return place_label(code) if code else "Non précisé"


def group_label(by: str, key: str | None, theme_labels: dict[str, str]) -> str:
    if by == "theme":
        return theme_labels.get(key, key) if key else "Sans thème"
    if by == "month":
        return month_label(key) if key else "Sans date"
    if by == "departement":
        return departement_label(key)
    raise ValueError(by)


def _key_of(by: str) -> Callable[[Awarded], str | None]:
    return {
        "buyer": buyer_key,
        "theme": lambda r: r.main_theme,
        "month": lambda r: r.month,
        "departement": lambda r: r.departement,
    }[by]


def group(
    records: list[Awarded], by: str, theme_labels: dict[str, str], target: float = DEFAULT_TARGETS["sme_ess"]
) -> list[Group]:
    """The contracts in groups (each once: a contract of several themes is under its main theme), months in
    order, the other groupings largest amount first."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r} (expected one of {', '.join(GROUPINGS)})")
    key_of = _key_of(by)
    parts: dict[str | None, list[Awarded]] = {}
    for r in records:
        parts.setdefault(key_of(r), []).append(r)
    groups = []
    for key, members in parts.items():
        if by == "buyer":
            names = Counter(display_text(r.buyer_name, 300) for r in members if r.buyer_name)
            label = short_buyer(names.most_common(1)[0][0]) if names else "Acheteur non précisé"
        else:
            label = group_label(by, key, theme_labels)
        groups.append(Group(key or "", label or "?", members, compute(members, target)))
    if by == "month":
        return sorted(groups, key=lambda g: (g.key == "", g.key))
    return sorted(groups, key=lambda g: (g.key == "", -g.indicators.amount, -g.indicators.contracts, g.label))
