def mask_iban(iban):
    """FR76 **** **** **** **** ***1 234: country, check digits and the last 4 only."""
    compact = (iban or "").replace(" ", "").upper()
    if len(compact) < 8:
        return "****" if compact else ""
    return f"{compact[:4]} **** {compact[-4:]}"


class MaskedIBANMixin:
    @property
    def masked_iban(self):
        return mask_iban(self.iban)
