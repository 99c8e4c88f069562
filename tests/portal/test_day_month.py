"""The day_month filter (enfance/core/templatetags/enfance.py): French dates in a sentence, "1er novembre"."""

import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template

from enfance.core.templatetags.enfance import day_month


def test_the_first_of_a_month_is_1er():
    assert day_month(datetime.date(2026, 11, 1)) == "1er novembre"
    assert day_month(datetime.date(2026, 11, 1), "Y") == "1er novembre 2026"
    assert day_month(datetime.date(2026, 12, 9), "Y") == "9 décembre 2026"
    assert day_month("2027-01-01", "Y") == "1er janvier 2027"
    assert day_month(None) == "" and day_month("") == ""


def test_an_aware_datetime_gives_its_paris_day():
    late = datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC)  # 1 November, 0:30 in Paris
    assert day_month(late, "Y") == "1er novembre 2026"
    assert day_month(datetime.datetime(2026, 11, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))) == "1er novembre"


def test_in_a_template():
    html = Template('{% load enfance %}{{ d|day_month }} · {{ d|day_month:"Y" }}')
    assert html.render(Context({"d": datetime.date(2026, 11, 1)})) == "1er novembre · 1er novembre 2026"
