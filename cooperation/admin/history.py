"""Versions in the admin: who changed what and why, a field-by-field comparison of any two
versions, revert to any version, the list of deleted records and their restoration, and a
refusal to save over changes another editor made since the form was opened."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from .. import history
from ..models import State


class VersionedForm(forms.ModelForm):
    """A record form that knows which version it was opened on, and says why it is saved."""

    change_comment = forms.CharField(
        label=gettext_lazy("Comment on this change"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Kept in the record's history: what changed and why."),
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            latest = self.instance.history.first()
            self.initial["base_version"] = latest.history_id if latest else None

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        latest = type(self.instance).history.filter(id=self.instance.pk).first()
        base = cleaned.get("base_version")
        if latest is None or base == latest.history_id:
            return cleaned
        opened = type(self.instance).history.filter(history_id=base).first()
        changes = history.compare(opened, latest) if opened else []
        described = "; ".join(describe(change) for change in changes)
        # A second save after reading this message deliberately replaces their changes.
        self.data = self.data.copy()
        self.data[self.add_prefix("base_version")] = latest.history_id
        raise ValidationError(
            _(
                "%(user)s changed this record at %(date)s, after you opened it: %(changes)s. "
                "Your changes are still in the form and nothing was saved. Compare them with "
                "the record's current version; saving again will replace those changes with "
                "yours."
            ),
            params={
                "user": latest.history_user or _("Someone"),
                "date": latest.history_date.strftime("%Y-%m-%d %H:%M:%S"),
                "changes": described or _("(no field changes)"),
            },
            code="conflict",
        )


def describe(change):
    """One line for a FieldChange: "title: old → new", or the relations added and removed."""
    if not (change.added or change.removed):
        return f"{change.label}: {change.old} → {change.new}"
    added = ", ".join(change.added) or "–"
    removed = ", ".join(change.removed) or "–"
    return _("%(label)s: added %(added)s, removed %(removed)s") % {
        "label": change.label,
        "added": added,
        "removed": removed,
    }


class HistoryAdmin(SimpleHistoryAdmin):
    form = VersionedForm
    object_history_template = "admin/cooperation/object_history.html"
    object_history_list_template = "admin/cooperation/object_history_list.html"
    history_list_display = ["state"]

    def get_fieldsets(self, request, obj=None):
        return [
            *super().get_fieldsets(request, obj),
            (_("This change"), {"fields": ["change_comment", "base_version"]}),
        ]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "last_editor"]

    def get_queryset(self, request):
        latest = self.model.history.filter(id=OuterRef("pk")).order_by("-history_date")
        return (
            super()
            .get_queryset(request)
            .annotate(last_editor_name=Subquery(latest.values("history_user__username")[:1]))
        )

    @admin.display(description=gettext_lazy("last edited by"), ordering="last_editor_name")
    def last_editor(self, obj):
        return obj.last_editor_name or "–"

    # One version per save, taken after the relations are saved too.

    def save_model(self, request, obj, form, change):
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        del obj.skip_history_when_saving
        comment = form.cleaned_data.get("change_comment") or (
            _("Changed %(fields)s") % {"fields": ", ".join(form.changed_data)}
            if change
            else _("Created")
        )
        history.record_version(obj, "~" if change else "+", comment, request.user)

    def delete_model(self, request, obj):
        obj._history_user = request.user
        obj._change_reason = _("Deleted")
        super().delete_model(request, obj)

    # Compare, revert, deleted records and restore.

    def get_urls(self):
        app, model = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{app}_{model}_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/revert/",
                self.admin_site.admin_view(self.revert_view),
                name=f"{app}_{model}_revert",
            ),
            path(
                "deleted/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{app}_{model}_deleted",
            ),
            path(
                "deleted/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name=f"{app}_{model}_restore",
            ),
            *super().get_urls(),
        ]

    def admin_url(self, view, *args):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)

    def context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            **extra,
        }

    def compare_view(self, request, object_id):
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        if not self.has_view_or_change_permission(request, record):
            raise PermissionDenied
        versions = record.history.all()
        try:
            old = versions.get(history_id=int(request.GET["from"]))
            new = versions.get(history_id=int(request.GET["to"]))
        except (KeyError, ValueError, record.history.model.DoesNotExist):
            messages.error(request, _("Choose two versions of this record to compare."))
            return HttpResponseRedirect(self.admin_url("history", record.pk))
        if old.history_date > new.history_date:
            old, new = new, old
        return TemplateResponse(
            request,
            "admin/cooperation/compare.html",
            self.context(
                request,
                title=_("Changes to %(record)s") % {"record": record},
                record=record,
                old=old,
                new=new,
                changes=history.compare(old, new),
                can_revert=self.has_change_permission(request, record),
                history_url=self.admin_url("history", record.pk),
                revert_url=self.admin_url("revert", record.pk, old.history_id),
            ),
        )

    def revert_view(self, request, object_id, version_id):
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        if request.method != "POST" or not self.has_change_permission(request, record):
            raise PermissionDenied
        version = get_object_or_404(record.history.all(), history_id=version_id)
        publishes = version.state == State.PUBLISHED and not record.is_published
        if publishes and not self.has_publish_permission(request):
            raise PermissionDenied
        try:
            history.revert(record, version, request.user)
        except ValidationError as error:
            messages.error(request, _("This version cannot be restored: %s") % error)
            return HttpResponseRedirect(self.admin_url("history", record.pk))
        messages.success(
            request,
            _("Reverted to the version of %(date)s; the change is itself a new version.")
            % {"date": version.history_date},
        )
        return HttpResponseRedirect(self.admin_url("change", record.pk))

    def deleted_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/cooperation/deleted.html",
            self.context(
                request,
                title=_("Deleted %(records)s") % {"records": self.opts.verbose_name_plural},
                versions=history.deleted_versions(self.model),
                can_restore=self.has_publish_permission(request),
                restore_url_name=f"admin:{self.opts.app_label}_{self.opts.model_name}_restore",
            ),
        )

    def restore_view(self, request, version_id):
        if request.method != "POST" or not self.has_publish_permission(request):
            raise PermissionDenied
        versions = {version.history_id: version for version in history.deleted_versions(self.model)}
        if version_id not in versions:
            raise Http404
        record = history.restore(self.model, versions[version_id], request.user)
        messages.success(
            request, _("Restored “%(record)s” with its relations.") % {"record": record}
        )
        return HttpResponseRedirect(self.admin_url("change", record.pk))

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"deleted_url": self.admin_url("deleted"), **(extra_context or {})}
        )
