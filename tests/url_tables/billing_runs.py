"""Rows of the permission matrix (tests/url_table.py) for the invoice runs, régies and tariffs."""

ROUTES = {}
