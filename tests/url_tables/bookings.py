"""Rows of the permission matrix (tests/url_table.py) for the activities: bookings."""

ROUTES = {}
