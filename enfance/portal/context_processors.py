def inbox(request):
    """The number of unread conversations, on every portal page: a callable, so that the one query it costs runs
    only where the menu shows it ({% with %} evaluates it once)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_family:
        return {}

    def count():
        from enfance.messaging.services import unread_count

        return unread_count(user.family_id, user)

    return {"inbox_unread": count}
