"""Driving the admin as a browser does: open a page, read its form's values, change some, post."""

from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def field_values(form, prefix=None):
    """The values a browser would send for ``form`` as it is shown."""
    data = {}
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(getattr(item, "pk", item)) for item in value]
        else:
            data[key] = str(getattr(value, "pk", value))
    return data


def change_form(client, record):
    """The record's change page, and the values its form would send unchanged."""
    response = client.get(admin_url(type(record), "change", record.pk))
    assert response.status_code == 200, response.status_code
    data = field_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= field_values(formset.management_form)
        for form in formset.forms:
            data |= field_values(form)
    return response, data


def save(client, record, button="_save", **changes):
    """Open the record's change form, change ``changes``, press ``button``."""
    _page, data = change_form(client, record)
    data.update(changes)
    data[button] = "1"
    return client.post(admin_url(type(record), "change", record.pk), data)


def sign_in(client, username, password):
    """Sign in through the admin's login page, as a person does; the response."""
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def signed_in(django_user_model, name, role=None):
    """A client signed in as a new staff user of ``role`` (a group), or as a superuser."""
    if role is None:
        user = django_user_model.objects.create_superuser(name, "", "pw")
    else:
        user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    client.user = user
    return client
