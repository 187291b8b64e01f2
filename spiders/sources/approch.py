"""APProch purchase programmes, through the Opendatasoft Explore v2.1 API (dataset `projets-dachats-publics`
on data.economie.gouv.fr, open data, no key; BUYERS.md §2).

The same access pattern as BOAMP (spiders.sources.BoampSpider: `where` on a date field, `order_by` always
sent, pages of at most 100, a slice over the 10,000 cap halved by date or read through the export), on the
projects' *expected* publication date. A project is not a dated publication: it is added, moved or dropped
at any time before its call. So every run reads the whole horizon, from `past_days` before the first day to
`horizon_days` after the last (default: today), as one window that is never final: no watermark is kept,
and the archive's content hash leaves the unchanged projects untouched.

    scrapy crawl approch                       # the horizon around today
    scrapy crawl approch -a from_date=2024-02-01 -a until_date=2024-04-30
"""

from __future__ import annotations

from datetime import date, timedelta

from archive.store import today_paris
from notices.approch import parse_record
from spiders.base import Part, WindowTracker
from spiders.sources.boamp import BoampSpider


class ApprochSpider(BoampSpider):
    name = "approch"
    source = "approch"
    config_key = "approch"
    date_field = "date_previsionnelle_de_publication"
    order = "date_previsionnelle_de_publication, code"
    id_field = "code"
    dated_by = "expected to be published"
    parse_record = staticmethod(parse_record)
    day_filters = ()  # one day over the cap is read through the export

    def resume_after(self, watermark: date | None) -> None:
        """The horizon to read (the watermark is not used: see the module's docstring)."""
        today = today_paris()
        first, last = self.from_arg or today, self.until_arg or today
        self.from_day = first - timedelta(days=self.source_config["past_days"])
        self.until_day = last + timedelta(days=self.source_config["horizon_days"])
        self.tracker = WindowTracker(self.source, self.endpoint, self.from_day)

    def windows(self) -> list[Part]:
        return [Part(self.from_day, self.until_day, final=False)]
