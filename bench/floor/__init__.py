"""A bare Django project, the floor the portal's latency is measured against (see bench/README.md).

It serves what any logged-in Django page has to do, and nothing of Enfance: a login through Django's
LoginView, then a page that runs one query and renders a 30-line template. It must never import
`enfance`: what it costs is Django, gunicorn and the database, so that the portal's figures divided
by its figures leave only what the portal adds.
"""
