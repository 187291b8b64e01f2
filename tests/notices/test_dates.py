from datetime import date, datetime

import pytest

from notices.dates import deadline, parse_date, parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2006-07-4", date(2006, 7, 4)),
        ("2026-09-11+02:00", date(2026, 9, 11)),
        ("1er septembre 2006", date(2006, 9, 1)),
        ("vendredi 13 mars 2026", date(2026, 3, 13)),
        ("15/09/2020 12:00", date(2020, 9, 15)),
        ("2 août 2006", date(2006, 8, 2)),
        ("31 février 2026", None),
        ("aujourd'hui", None),
        ("13 mars", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("date_text", "time_text", "expected"),
    [
        ("2026-02-16T12:00:00.000+01:00", None, "2026-02-16T12:00:00+01:00"),
        ("2026-02-27T12:00:00", None, "2026-02-27T12:00:00+01:00"),  # naive = Paris (winter)
        ("2024-07-25T12:00:00", None, "2024-07-25T12:00:00+02:00"),  # naive = Paris (summer)
        ("2026-10-02+02:00", "12:00:00+02:00", "2026-10-02T12:00:00+02:00"),
        ("2019-06-24Z", "16:00:00Z", "2019-06-24T16:00:00+00:00"),
        ("21 juillet 2006", ", à 12 heures", "2006-07-21T12:00:00+02:00"),
        ("19 juillet 2006", ", à 17 h 15", "2006-07-19T17:15:00+02:00"),
        ('" 24 juillet 2006, à 12 heures ".', None, "2006-07-24T12:00:00+02:00"),
        ("15/09/2020 12:00", None, "2020-09-15T12:00:00+02:00"),
        ("19/06/2026 à 12h00", None, "2026-06-19T12:00:00+02:00"),
        ("2006-07-21", None, "2006-07-21T23:59:59+02:00"),  # no hour stated: end of that day
    ],
)
def test_deadline(date_text: str, time_text: str | None, expected: str) -> None:
    assert deadline(date_text, time_text) == datetime.fromisoformat(expected)


def test_datetime_without_a_full_date_is_rejected() -> None:
    assert parse_datetime("à 12 heures") is None
    assert deadline("demain") is None
