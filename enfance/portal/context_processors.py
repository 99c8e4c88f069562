def inbox(request):
    """The number of unread conversations in the menu of every portal page.

    family_required loaded it with the household (no query here). The account pages a family reaches through
    the menu (the password) are not behind family_required: their count is a callable, so that its query runs
    only where the menu shows it.
    """
    family = getattr(request, "family", None)
    if family is not None:
        return {"inbox_unread": getattr(family, "inbox_unread", 0)}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_family:
        return {}

    if getattr(user, "session_unread", None) is not None:
        return {"inbox_unread": user.session_unread}  # read with the login (accounts.backends)

    def count():
        from enfance.messaging.services import unread_count

        return unread_count(user.family_id, user)

    return {"inbox_unread": count}
