"""Rows of the permission matrix (tests/url_table.py) for payments, balances, overdue invoices and reminders, the staff's invoice page."""

ROUTES = {}
