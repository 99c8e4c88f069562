"""Rows of the permission matrix (tests/url_table.py) for the activities: the kitchen's forecast, occupancy and
the daily lists.

The forecast and the occupancy are for agents and administrators. A leader opens the daily lists' page (the
choice among the activities they lead); another activity's list answers 404 like a missing one, which
tests/backoffice/test_kitchen_views.py checks with the query string the matrix does not build.
"""

from tests.url_table import AGENT, LEADER, STAFF, Route

ROUTES = {
    "backoffice:kitchen": Route(STAFF, role=AGENT),
    "backoffice:kitchen_csv": Route(STAFF, role=AGENT),
    "backoffice:occupancy": Route(STAFF, role=AGENT),
    "backoffice:daily_list": Route(STAFF, role=LEADER),
}
