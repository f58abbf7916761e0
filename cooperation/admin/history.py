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
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from .. import history, revisions
from ..history import Snapshot, moment


class Conflict(Exception):
    """Another save claimed the record between this form's check and its save."""


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


def admin_url(model, view, *args, query=""):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
    return f"{url}?{query}" if query else url


class OpenedOn(forms.Form):
    """What a record's form was opened on: the record's edit number and that of its pending
    changes. A save is refused when either has moved since, naming who changed what; saving
    again, having read that, replaces their changes deliberately."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VersionedForm(forms.ModelForm):
    """A record form that knows what it was opened on, opens on the record's pending changes
    if it has any, and says why it is saved."""

    change_comment = forms.CharField(
        label=gettext_lazy("Comment on this change"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Kept in the record's history: what changed and why."),
    )
    base_version = OpenedOn.base_fields["base_version"]
    base_revision = OpenedOn.base_fields["base_revision"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        record = self.instance
        #: Whether readers see the record as it is saved: its changes may then wait for review.
        self.live = bool(record.pk and record.is_published)
        self.revision = revisions.open_revision(record)
        if record.pk and not self.is_bound:
            self.initial["base_version"] = record.lock_version
            if self.revision is not None:
                self.initial["base_revision"] = self.revision.lock_version
                for name, value in self.revision.fields.items():
                    if name in self.fields:
                        self.initial[name] = value

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self.refuse_if_changed_since_opened(cleaned)
        return cleaned

    def refuse_if_changed_since_opened(self, cleaned):
        model = type(self.instance)
        current = model.objects.filter(pk=self.instance.pk).values_list("lock_version", flat=True)
        base, base_revision = cleaned.get("base_version"), cleaned.get("base_revision")
        revision_now = self.revision.lock_version if self.revision else None
        if base == current.first() and base_revision == revision_now:
            return
        if base != current.first():
            message = self.record_changed(model, base)
        else:
            message = self.revision_changed()
        # A second save after reading this message deliberately replaces their changes.
        self.data = self.data.copy()
        self.data[self.add_prefix("base_version")] = current.first()
        self.data[self.add_prefix("base_revision")] = revision_now if revision_now else ""
        raise ValidationError(message, code="conflict")

    def record_changed(self, model, base):
        versions = model.history.filter(id=self.instance.pk)
        latest = versions.first()
        if latest is None:  # a record written in bulk, without versions
            return _(
                "Someone changed this record after you opened it. Your changes are still in "
                "the form and nothing was saved; saving again will replace theirs with yours."
            )
        opened = versions.filter(lock_version__lte=base).first() if base else None
        described = ""
        if opened is not None:
            changes = history.compare(Snapshot.of_version(opened), Snapshot.of_version(latest))
            described = "; ".join(describe(change) for change in changes)
        compare_url = admin_url(
            model,
            "compare",
            self.instance.pk,
            query=f"from={opened.history_id}&to={latest.history_id}" if opened else "",
        )
        return format_html(
            "{} <a href='{}'>{}</a>",
            _(
                "%(user)s changed this record on %(date)s, after you opened it: %(changes)s. "
                "Your changes are still in the form and nothing was saved. Saving again will "
                "replace those changes with yours."
            )
            % {
                "user": latest.history_user or _("An import"),
                "date": moment(latest.history_date),
                "changes": described or _("see the comparison"),
            },
            compare_url,
            _("Compare the two versions"),
        )

    def revision_changed(self):
        revision = revisions.open_revision(self.instance)
        model = type(self.instance)
        if revision is None:
            text = _(
                "The pending changes you opened have since been published or discarded. Your "
                "changes are still in the form and nothing was saved; saving again will keep "
                "them as new pending changes."
            )
            return format_html("{}", text)
        return format_html(
            "{} <a href='{}'>{}</a>",
            _(
                "%(user)s changed these pending changes on %(date)s, after you opened them. "
                "Your changes are still in the form and nothing was saved. Saving again will "
                "replace theirs with yours."
            )
            % {"user": revision.author or _("An import"), "date": moment(revision.updated_at)},
            admin_url(model, "review", self.instance.pk),
            _("Compare their changes with the live record"),
        )


class InlineVersionedForm(forms.ModelForm):
    """A row of an inline (a part's section), refused if the record changed since the page
    was opened."""

    base_version = OpenedOn.base_fields["base_version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["base_version"] = self.instance.lock_version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.has_changed():
            model = type(self.instance)
            current = model.objects.filter(pk=self.instance.pk).values_list(
                "lock_version", flat=True
            )
            if cleaned.get("base_version") != current.first():
                self.data = self.data.copy()
                self.data[self.add_prefix("base_version")] = current.first()
                raise ValidationError(
                    _(
                        "“%(record)s” was changed by someone else after you opened this page; "
                        "nothing was saved. Saving again will replace their changes with yours."
                    )
                    % {"record": self.instance},
                    code="conflict",
                )
        return cleaned


class HistoryAdmin(SimpleHistoryAdmin):
    form = VersionedForm
    object_history_template = "admin/cooperation/object_history.html"
    object_history_list_template = "admin/cooperation/object_history_list.html"
    history_list_display = ["state"]

    def get_fieldsets(self, request, obj=None):
        return [
            *super().get_fieldsets(request, obj),
            (_("This change"), {"fields": ["change_comment", "base_version", "base_revision"]}),
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Conflict:
            # Another save was committed between this form's check and its save (its
            # transaction was rolled back): check again, which now names that save.
            return super().changeform_view(request, object_id, form_url, extra_context)

    # One version per save, taken after the relations are saved too.

    def save_model(self, request, obj, form, change):
        if change and not obj.claim(form.cleaned_data.get("base_version") or 0):
            raise Conflict
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        del obj.skip_history_when_saving
        history.record_version(obj, "~" if change else "+", self.change_comment(form), request.user)

    @staticmethod
    def change_comment(form):
        if comment := form.cleaned_data.get("change_comment"):
            return comment
        if not (form.instance.pk and form.initial):
            return _("Created")
        # What the form was opened on is not a change to the record.
        changed = [name for name in form.changed_data if name not in OpenedOn.base_fields]
        return _("Changed %(fields)s") % {"fields": ", ".join(changed) or _("nothing")}

    def delete_model(self, request, obj):
        obj._history_user = request.user
        obj._change_reason = _("Deleted")
        super().delete_model(request, obj)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"deleted_url": self.admin_url("deleted"), **(extra_context or {})}
        )

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

    def admin_url(self, view, *args, query=""):
        return admin_url(self.model, view, *args, query=query)

    def context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            **extra,
        }

    def record_or_404(self, request, object_id):
        record = self.get_object(request, object_id)
        if record is None:
            raise Http404
        if not self.has_view_or_change_permission(request, record):
            raise PermissionDenied
        return record

    def compare_view(self, request, object_id):
        record = self.record_or_404(request, object_id)
        versions = record.history.all()
        try:
            old = versions.get(history_id=int(request.GET["from"]))
            new = versions.get(history_id=int(request.GET["to"]))
        except (KeyError, ValueError, OverflowError, record.history.model.DoesNotExist):
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
                from_label=self.version_label(old),
                to_label=self.version_label(new),
                changes=history.compare(Snapshot.of_version(old), Snapshot.of_version(new)),
                can_revert=self.has_change_permission(request, record),
                history_url=self.admin_url("history", record.pk),
                revert_url=self.admin_url("revert", record.pk, old.history_id),
                revert_label=_("Revert the record to the version of %(date)s")
                % {"date": moment(old.history_date)},
            ),
        )

    @staticmethod
    def version_label(version):
        return _("the version of %(date)s by %(user)s") % {
            "date": moment(version.history_date),
            "user": version.history_user or _("an import"),
        }

    def revert_view(self, request, object_id, version_id):
        """Asks first, saying what readers will see; then reverts, or, where the record is
        live and the user may not publish, keeps the reverted fields as pending changes."""
        record = self.record_or_404(request, object_id)
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        version = get_object_or_404(record.history.all(), history_id=version_id)
        pending = record.is_published and not self.has_publish_permission(request)
        if request.method != "POST" or "confirm" not in request.POST:
            return TemplateResponse(
                request,
                "admin/cooperation/revert.html",
                self.context(
                    request,
                    title=_("Revert %(record)s?") % {"record": record},
                    record=record,
                    version_label=self.version_label(version),
                    changes=history.compare(
                        Snapshot.of_record(record), Snapshot.of_version(version)
                    ),
                    pending=pending,
                    live=record.is_published,
                    compare_url=self.admin_url("history", record.pk),
                ),
            )
        if pending:
            values, relations = history.fields_at(version)
            proposal = type(record)(**{"pk": record.pk, **values})
            fields = revisions.fields_of(
                proposal,
                {
                    name: list(
                        type(record)._meta.get_field(name).related_model.objects.filter(pk__in=ids)
                    )
                    for name, ids in relations.items()
                },
            )
            revisions.write(record, fields, request.user, comment=_("Revert"))
            messages.success(
                request,
                _(
                    "The version of %(date)s is now this record's pending changes: readers "
                    "see the published record until a publisher publishes them."
                )
                % {"date": moment(version.history_date)},
            )
            return HttpResponseRedirect(self.admin_url("change", record.pk))
        try:
            history.revert(record, version, request.user)
        except ValidationError as error:
            messages.error(request, _("This version cannot be restored: %s") % error)
            return HttpResponseRedirect(self.admin_url("history", record.pk))
        messages.success(
            request,
            _("Reverted to the version of %(date)s; the change is itself a new version.")
            % {"date": moment(version.history_date)},
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
        """Restores a deleted record, or, where its slug is taken or a record it belonged to
        is gone, says so and offers the choices: a new slug, another record or none."""
        if request.method != "POST" or not self.has_publish_permission(request):
            raise PermissionDenied
        versions = {version.history_id: version for version in history.deleted_versions(self.model)}
        if version_id not in versions:
            raise Http404
        version = versions[version_id]
        obstacles = history.restore_obstacles(self.model, version)
        form = RestoreForm(
            self.model, version, obstacles, request.POST if "resolve" in request.POST else None
        )
        if obstacles and not form.is_valid():
            return TemplateResponse(
                request,
                "admin/cooperation/restore.html",
                self.context(
                    request,
                    title=_("Restore %(record)s") % {"record": version.title},
                    version=version,
                    obstacles=obstacles,
                    form=form,
                ),
            )
        try:
            record = history.restore(self.model, version, request.user, form.replacements())
        except ValidationError as error:
            messages.error(
                request, _("The record cannot be restored: %s") % "; ".join(error.messages)
            )
            return HttpResponseRedirect(self.admin_url("deleted"))
        messages.success(
            request, _("Restored “%(record)s” with its relations.") % {"record": record}
        )
        return HttpResponseRedirect(self.admin_url("change", record.pk))


class RestoreForm(forms.Form):
    """The choices that overcome what stands in the way of a restore: a new slug, another
    record for each foreign key whose record is gone (or none, where the field allows it)."""

    def __init__(self, model, version, obstacles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model = model
        for name in obstacles:
            field = model._meta.get_field(name)
            if name == "slug":
                self.fields["slug"] = forms.SlugField(
                    label=_("A new slug"), max_length=field.max_length, initial=f"{version.slug}-2"
                )
            else:
                self.fields[name] = forms.ModelChoiceField(
                    label=field.verbose_name.capitalize(),
                    queryset=field.related_model.objects.all(),
                    required=not field.null,
                    empty_label=_("(none)"),
                )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if self.model.objects.filter(slug=slug).exists():
            raise ValidationError(_("This slug is taken too."))
        return slug

    def replacements(self):
        if not self.is_bound:
            return {}
        return {
            self.model._meta.get_field(name).attname: getattr(value, "pk", value)
            for name, value in self.cleaned_data.items()
        }
