from django.apps import AppConfig


class Config(AppConfig):
    name = "enfance.core"
    label = "core"

    def ready(self):
        # Imported for their side effects: the system checks, and the SQLite functions of each connection.
        from . import attachments, checks, db, mail, sweep  # noqa: F401

        sweep.register("outbox")(mail.sweep_outbox)
        sweep.register("outbox_purge")(mail.purge_sent)
        sweep.register("attachments_expired")(attachments.purge_expired)
        sweep.register("attachments_orphaned")(attachments.purge_orphans)
