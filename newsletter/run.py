"""`run_watch.py newsletter`: compile a week's newsletter into files, and mail the draft to the editors."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from archive.db import open_db
from archive.tenders import publication_days
from classify.taxonomy import THEME_CODES
from classify.taxonomy import load as load_taxonomy
from leads.model import Rules
from mail import message as mail_message
from mail.transport import send_message, transport_from
from newsletter.content import Compiler, Filter, Issue, last_complete_week, parse_week, read_intro
from newsletter.leads import add_lead_section
from newsletter.render import FORMATS, render
from notices.dates import PARIS
from settings import Config

logger = logging.getLogger(__name__)


def filter_from(config: Config) -> Filter:
    return Filter(
        themes=config["newsletter.themes"] or list(THEME_CODES),  # empty: all ten
        event=config["newsletter.event"],
        social_flags=config["newsletter.social_flags"],
        departements=config["newsletter.departements"],
        charter_target=config["observatory.targets"].get("sme_ess", 0.25),
    )


def build_issue(config: Config, week: str) -> Issue:
    parse_week(week)
    taxonomy = load_taxonomy(config.optional_path("classify.taxonomy"))
    with open_db(config.resolve_path("archive.path")) as db:
        flt, labels = filter_from(config), {t.code: t.label for t in taxonomy.themes}
        issue = Compiler(db, flt, labels).compile(week, read_intro(config.resolve_path("newsletter.intro_dir"), week))
        add_lead_section(issue, db, flt, labels, Rules.from_config(config))
        return issue


def week_or_last(week: str | None) -> str:
    """The week asked for, else the last complete one (Paris time)."""
    return week or last_complete_week(datetime.now(PARIS).date())


def compile_newsletter(
    config: Config,
    week: str | None = None,
    formats: tuple[str, ...] = FORMATS,
    out: Path | None = None,
    issue: Issue | None = None,
) -> list[Path]:
    """Write the week's issue in `formats`; `issue`: the week already compiled (it is not compiled again)."""
    week = week_or_last(week)
    issue = issue or build_issue(config, week)
    paths = []
    for fmt in formats:
        if out is not None and len(formats) == 1:
            path = out
        else:
            path = (out or config.resolve_path("newsletter.out_dir")) / f"newsletter-{week}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(issue, fmt))
        paths.append(path)
    leads = sum(len(s.entries) for s in issue.sections if s.key == "leads")
    logger.info(
        "newsletter %s: %d tender(s) and %d partnering lead(s) in %d section(s) -> %s",
        week,
        len(issue.entries),
        leads,
        len(issue.sections),
        ", ".join(str(p) for p in paths),
    )
    return paths


def recorded_weeks(config: Config) -> list[str]:
    """The ISO weeks in which the archive holds notices (for the demo)."""
    with open_db(config.resolve_path("archive.path")) as db:
        days = publication_days(db)
    weeks = set()
    for day in days:
        year, week, _ = date.fromisoformat(day).isocalendar()
        weeks.add(f"{year}-W{week:02d}")
    return sorted(weeks)


def mail_to_editors(config: Config, week: str | None = None, issue: Issue | None = None) -> int:
    """Send the week's draft (HTML body, text alternative, DOCX attached) to the editors. Without `issue`
    the week is compiled and written first, as `newsletter` does; with it (the job has just written it), the
    compiled issue is mailed as it is."""
    editors = config["newsletter.editors"]
    week = week_or_last(week)
    if issue is None:
        issue = build_issue(config, week)
        compile_newsletter(config, week, issue=issue)
    if not editors:
        logger.info("newsletter %s: no editors configured (newsletter.editors), nothing mailed", week)
        return 0
    msg = mail_message.build(
        kind="newsletter",
        sender=config["alerts.sender"],
        to=editors,
        subject=f"Brouillon : {issue.title}",
        text=render(issue, "txt").decode("utf-8"),
        html=render(issue, "html").decode("utf-8"),
        attachments=[
            mail_message.Attachment(
                render(issue, "docx"),
                filename=f"newsletter-{week}.docx",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            )
        ],
    )
    transport = transport_from(config)
    try:
        send_message(transport, msg, editors)
    finally:
        transport.close()
    logger.info("newsletter %s: draft mailed to %d editor(s) via %s", week, len(editors), transport)
    return len(editors)
