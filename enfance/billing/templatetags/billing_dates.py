"""Spans and lists of days in French words on the billing pages (enfance.billing.words): {% period first last %}
"du 1er au 30 novembre 2026" (Django's "j F Y" writes "1 novembre"), {{ days|daysphrase }} "les 3, 4 et 10
novembre 2026". One date alone: core's {{ day|day_month:"Y" }}, or words.long_date in Python."""

from django import template

from enfance.billing import words

register = template.Library()


@register.filter
def daysphrase(values):
    return words.days_phrase(values)


@register.simple_tag
def period(first, last):
    return words.period_phrase(first, last)


@register.filter
def transfer_text(regie, number):
    """{{ regie|transfer_text:invoice.number }}: how to pay it by bank transfer, or "" (Regie.transfer_text)."""
    return regie.transfer_text(number) if regie is not None else ""
