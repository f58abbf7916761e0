"""Receivers: any save, delete or change of relations of a public record is a change of the
content readers see (``cooperation.caching``), and a save or delete changes what search finds
(``cooperation.search``). Connected per sender in ``AppConfig.ready()``."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import search
from .caching import content_changed
from .models import PUBLIC_MODELS


def record_saved(sender, instance, **kwargs):
    search.index(instance)
    content_changed()


def record_deleted(sender, instance, **kwargs):
    search.remove(instance)
    content_changed()


def relations_changed(sender, action, **kwargs):
    if action.startswith("post_"):
        content_changed()


def connect():
    for model in PUBLIC_MODELS:
        label = model._meta.label_lower
        post_save.connect(record_saved, sender=model, dispatch_uid=f"{label}-saved")
        post_delete.connect(record_deleted, sender=model, dispatch_uid=f"{label}-deleted")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(
                relations_changed, sender=through, dispatch_uid=f"{label}-{field.name}-changed"
            )
