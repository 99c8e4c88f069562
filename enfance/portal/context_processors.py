def inbox(request):
    """The number of unread conversations in the menu of every portal page: family_required loaded it with the
    household (no query here)."""
    family = getattr(request, "family", None)
    if family is None:
        return {}
    return {"inbox_unread": getattr(family, "inbox_unread", 0)}
