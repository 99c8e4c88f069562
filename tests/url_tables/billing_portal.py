"""Rows of the permission matrix (tests/url_table.py) for the household's invoices and account statement."""

ROUTES = {}
