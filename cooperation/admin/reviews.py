"""Reviewed changes in the admin: a published record stays as readers know it until a
publisher approves a change to it (``cooperation.revisions``).

An editor's save of a published record keeps its changes as the record's pending revision; the
form opens on them, with a banner and a link to compare them with the live record. They are
submitted for review ("Save and submit for review"), and a publisher publishes them or sends
them back with a comment from the review page. A publisher's own save of the form publishes
what it holds, pending changes included."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import history, revisions
from ..caching import content_changes
from ..history import Snapshot, moment
from ..models import Revision, RevisionStatus, State
from .history import Conflict, HistoryAdmin, VersionedForm

#: The name of the change form's button that saves and submits for review.
SUBMIT = "_submit_for_review"


class ReviewedForm(VersionedForm):
    take_off_site = forms.BooleanField(
        label=gettext_lazy("Take it off the site"),
        required=False,
        help_text=gettext_lazy(
            "Needed to move a published record to another state: readers will no longer find "
            "its page, and it leaves every list and count."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        leaving = self.live and cleaned.get("state", State.PUBLISHED) != State.PUBLISHED
        if leaving and not cleaned.get("take_off_site"):
            self.add_error(
                "take_off_site",
                _(
                    "This record is published. Moving it to “%(state)s” takes it off the site: "
                    "its page will answer “not found” and it leaves every list. Tick the box "
                    "to confirm."
                )
                % {"state": State(cleaned["state"]).label},
            )
        return cleaned


class ReviewedAdmin(HistoryAdmin):
    form = ReviewedForm
    change_form_template = "admin/cooperation/change_form.html"

    def has_publish_permission(self, request, obj=None):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")

    def keeps_pending(self, request, form):
        """Whether this save keeps its changes for review rather than showing them: a live
        record, saved by someone who may not publish."""
        return form.live and not self.has_publish_permission(request)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_published and self.has_publish_permission(request):
            name, options = fieldsets[-1]
            fieldsets[-1] = (name, {**options, "fields": ["take_off_site", *options["fields"]]})
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "preview_link"]
        if obj is not None and obj.is_published and not self.has_publish_permission(request):
            readonly.append("state")  # an editor cannot take a live record off the site
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "state" in form.base_fields and not self.has_publish_permission(request):
            # Editors keep a record in draft or send it for review.
            allowed = {State.DRAFT, State.IN_REVIEW, obj.state if obj else State.DRAFT}
            form.base_fields["state"].choices = [
                choice for choice in State.choices if choice[0] in allowed
            ]
        return form

    def get_view_on_site_url(self, obj=None):
        url = super().get_view_on_site_url(obj)
        if url and obj is not None and (not obj.is_published or revisions.open_revision(obj)):
            return f"{url}?preview=1"
        return url

    # Saving: pending changes for a live record, the record itself otherwise.

    def save_model(self, request, obj, form, change):
        if self.keeps_pending(request, form):
            return  # save_related keeps the changes as the record's revision
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        comment = form.cleaned_data.get("change_comment", "")
        if self.keeps_pending(request, form):
            relations = {
                field.name: form.cleaned_data[field.name]
                for field in history.m2m_fields(type(obj))
                if field.name in form.cleaned_data
            }
            try:
                revisions.write(
                    obj,
                    revisions.fields_of(obj, relations),
                    request.user,
                    comment=comment,
                    opened_on=form.cleaned_data.get("base_revision"),
                )
            except revisions.Moved:
                raise Conflict from None
            # Inline records are read-only to editors: only new ones, drafts, are saved.
            for formset in formsets:
                self.save_formset(request, form, formset, change)
            request.pending_saved = True
        else:
            super().save_related(request, form, formsets, change)
            if form.revision is not None and obj.is_published:
                # The form opened on the pending changes: saving it publishes them.
                revisions.close(
                    Revision.objects.get(pk=form.revision.pk),
                    request.user,
                    RevisionStatus.PUBLISHED,
                )
        if SUBMIT in request.POST:
            request.submitted = revisions.submit(obj, request.user, comment) is not None

    def save_formset(self, request, form, formset, change):
        """Inline records (a part's sections) are claimed like the record, so that a row
        changed by someone else since the page was opened is not saved over."""
        for inline_form in formset.initial_forms:
            if inline_form.has_changed() and inline_form not in formset.deleted_forms:
                opened_on = inline_form.cleaned_data.get("base_version") or 0
                if not inline_form.instance.claim(opened_on):
                    raise Conflict
        super().save_formset(request, form, formset, change)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if getattr(request, "pending_saved", False) and level == messages.SUCCESS:
            message = _(
                "Your changes are saved as pending changes. Readers see the published record "
                "until a publisher publishes them."
            )
            if getattr(request, "submitted", False):
                message += " " + _("They are submitted for review.")
            request.pending_saved = False
        elif getattr(request, "submitted", False) and level == messages.SUCCESS:
            message = f"{message} {_('It is submitted for review.')}"
            request.submitted = False
        super().message_user(request, message, level, *args, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        revision = revisions.open_revision(obj) if obj is not None else None
        context.update(
            revision=revision,
            live=obj is not None and obj.is_published,
            may_publish=self.has_publish_permission(request),
            submit_name=SUBMIT,
            review_url=self.admin_url("review", obj.pk) if revision else None,
            preview_url=self.get_view_on_site_url(obj) if obj is not None else None,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # The review page: the pending changes against the live record; publish, send back,
    # discard.

    def get_urls(self):
        app, model = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name=f"{app}_{model}_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        record = self.record_or_404(request, object_id)
        revision = revisions.open_revision(record)
        if revision is None:
            messages.info(request, _("This record has no changes waiting."))
            return HttpResponseRedirect(self.admin_url("change", record.pk))
        if request.method == "POST":
            return self.review_action(request, record, revision)
        if record.is_published:
            proposal, relations = revisions.proposed(revision)
            pending = Snapshot.of_record(proposal)
            pending.relations |= {name: set(ids) for name, ids in relations.items()}
            changes = history.compare(Snapshot.of_record(record), pending)
        else:  # a new record: everything it holds is new
            nothing = Snapshot(type(record), {}, {})
            changes = history.compare(nothing, Snapshot.of_record(record))
        return TemplateResponse(
            request,
            "admin/cooperation/review.html",
            self.context(
                request,
                title=_("Changes to %(record)s") % {"record": record},
                record=record,
                revision=revision,
                changes=changes,
                live=record.is_published,
                stale=record.is_published and record.lock_version != revision.based_on,
                may_publish=self.has_publish_permission(request),
                may_discard=self.has_publish_permission(request)
                or revision.author_id == request.user.pk,
                preview_url=f"{record.get_absolute_url()}?preview=1",
                history_url=self.admin_url("history", record.pk),
                change_url=self.admin_url("change", record.pk),
                written=moment(revision.updated_at),
            ),
        )

    def review_action(self, request, record, revision):
        action = request.POST.get("action")
        comment = request.POST.get("comment", "").strip()[:2000]
        may_publish = self.has_publish_permission(request)
        if action == "publish" and may_publish:
            try:
                revisions.publish(revision, request.user, force="force" in request.POST)
            except revisions.StaleRevision:
                messages.error(
                    request,
                    _(
                        "The record changed after these changes were written: publishing them "
                        "would undo that change. Compare the record's history, then publish "
                        "anyway or send them back."
                    ),
                )
                return HttpResponseRedirect(self.admin_url("review", record.pk))
            except ValidationError as error:
                messages.error(
                    request, _("These changes cannot be published: %s") % "; ".join(error.messages)
                )
                return HttpResponseRedirect(self.admin_url("review", record.pk))
            messages.success(
                request,
                _("Published: readers now see the changes to “%(record)s”.") % {"record": record},
            )
        elif action == "send_back" and may_publish:
            if not comment:
                messages.error(request, _("Say why the changes go back: the editor reads it."))
                return HttpResponseRedirect(self.admin_url("review", record.pk))
            revisions.send_back(revision, request.user, comment)
            messages.success(
                request,
                _("Sent back to %(author)s with your comment.") % {"author": revision.author},
            )
        elif action == "discard" and (may_publish or revision.author_id == request.user.pk):
            with transaction.atomic():
                revisions.discard(revision, request.user)
            messages.success(request, _("The pending changes are discarded."))
        elif action == "submit" and self.has_change_permission(request, record):
            with content_changes():
                revisions.submit(record, request.user, comment)
            messages.success(request, _("Submitted for review."))
        else:
            raise PermissionDenied
        return HttpResponseRedirect(self.admin_url("change", record.pk))
