"""A fixed moment for the pages' tests: the views read the clock (timezone.now), the rules depend on it."""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=PARIS)  # every canteen day from Thursday 10 is open


def freeze(monkeypatch, moment=MONDAY):
    monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(datetime.UTC))
    return moment
