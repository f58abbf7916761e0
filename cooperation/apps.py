from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("US–Mexico defense cooperation")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import roles, search, signals

        signals.connect()
        # After the permissions, which django.contrib.auth creates on the same signal.
        post_migrate.connect(roles.ensure_roles, sender=self, dispatch_uid="cooperation-roles")
        # The full-text index is the database's own kind of object, not a model's table.
        post_migrate.connect(search.install, sender=self, dispatch_uid="cooperation-search")
