"""Money: Decimal with two places, rounded in one place only (ROUND_HALF_UP, as French public accounting does)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
THIN, NBSP = "\u202f", "\u00a0"


def money(value):
    """`value` (Decimal, int or str; never float) rounded to the cent."""
    if isinstance(value, float):
        raise TypeError("money from a float loses cents: pass a Decimal or a str")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price):
    """A line's amount: the quantity times the two-place unit price, rounded once (17 × 4,15 = 70,55)."""
    return money(Decimal(quantity) * money(unit_price))


def percent_of(amount, percent):
    return money(money(amount) * Decimal(percent) / 100)


def euros(value):
    """"1 234,50 €" (a narrow no-break space between thousands, as French typography has it)."""
    sign = "-" if money(value) < 0 else ""
    units, cents = f"{abs(money(value)):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{THIN.join(groups)},{cents}{NBSP}€"
