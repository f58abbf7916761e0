"""Template tags for the public pages."""

from django import template
from django.apps import apps
from django.utils.html import format_html

from .. import views

register = template.Library()


@register.simple_tag
def list_url(model_name, record=None, **values):
    """The list of ``model_name`` records filtered by ``record`` and ``values``:
    ``{% list_url "initiative" party %}`` gives ``/initiatives/?participant=<slug>``, so that no
    template names a list's parameters."""
    return views.list_url(apps.get_model("cooperation", model_name), record, **values)


@register.filter
def when(date):
    """A PartialDate as an HTML <time> at its precision: ``{{ record.signed|when }}``."""
    if not date:
        return ""
    return format_html('<time datetime="{}" data-edtf="{}">{}</time>', date.iso, date.edtf, date)
