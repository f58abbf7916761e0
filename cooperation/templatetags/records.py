"""Template tags for the public pages."""

from django import template
from django.apps import apps

from .. import views

register = template.Library()


@register.simple_tag
def list_url(model_name, record=None, **values):
    """The list of ``model_name`` records filtered by ``record`` and ``values``:
    ``{% list_url "initiative" party %}`` gives ``/initiatives/?participant=<slug>``, so that no
    template names a list's parameters."""
    return views.list_url(apps.get_model("cooperation", model_name), record, **values)
