"""The editors' admin: every record searchable, filterable and linked to its relations."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import revisions
from ..citations import outside_sources
from ..counts import subquery_count
from ..dates import DATE_PARTS, qualified_dates
from ..models import (
    Agreement,
    Claim,
    Era,
    Event,
    Initiative,
    Party,
    Record,
    Revision,
    Section,
    Source,
    State,
    Threat,
)
from .history import InlineVersionedForm
from .reviews import ReviewedAdmin, ReviewedForm

admin.site.site_header = _("US–Mexico defense cooperation: editors")
admin.site.site_title = _("Defense cooperation records")
admin.site.index_title = _("Records")


def admin_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def admin_link(obj):
    if obj is None:
        return "–"
    return format_html('<a href="{}">{}</a>', admin_url(obj), obj)


def admin_links(objects):
    """Links to the admin pages of ``objects``, one a line, or a dash when there are none."""
    objects = list(objects)
    if not objects:
        return "–"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a>',
        ((admin_url(obj), obj) for obj in objects),
    )


def related_links(accessor, description):
    """A read-only field listing the records reached through ``accessor`` as admin links."""

    @admin.display(description=description)
    def display(self, obj):
        if obj.pk is None:
            return "–"
        return admin_links(getattr(obj, accessor).all())

    display.__name__ = f"{accessor}_links"
    return display


def partial_date_column(name, description):
    """A changelist column showing a partial date at its precision and sorting by its date."""

    @admin.display(description=description, ordering=f"{name}_date")
    def display(self, obj):
        return getattr(obj, name) or "–"

    display.__name__ = f"{name}_display"
    return display


def link_column(name, description, ordering):
    """A changelist column linking to the admin page of the record in foreign key ``name``."""

    @admin.display(description=description, ordering=ordering)
    def display(self, obj):
        return admin_link(getattr(obj, name))

    display.__name__ = f"{name}_link"
    return display


TIMESTAMPS = (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]})
PUBLISHING = (_("Publishing"), {"fields": ["state", "preview_link"]})


class PublishingAdmin(ReviewedAdmin):
    """The editorial workflow: editors write and submit for review; publishers publish or
    withdraw, one record at a time or in bulk. Withdrawing asks first, saying what readers
    will lose."""

    actions = ["submit_for_review", "publish", "withdraw"]
    delete_confirmation_template = "admin/cooperation/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/cooperation/delete_selected_confirmation.html"

    def get_list_display(self, request):
        return [*super().get_list_display(request), "state", "pending"]

    def get_list_filter(self, request):
        return ["state", *super().get_list_filter(request)]

    @admin.display(description=_("public page"))
    def preview_link(self, obj):
        if obj.pk is None:
            return _("Save the record first.")
        url = obj.get_absolute_url()
        if obj.is_published:
            return format_html(
                '<a href="{}">{}</a> · <a href="{}?preview=1">{}</a>',
                url,
                _("View the public page"),
                url,
                _("Preview the pending changes"),
            )
        return format_html(
            '<a href="{}?preview=1">{}</a>', url, _("Preview the page (only editors see it)")
        )

    @admin.display(description=_("pending changes"))
    def pending(self, obj):
        return obj.open_revision_status or "–"

    def get_queryset(self, request):
        open_revisions = Revision.objects.filter(
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=OuterRef("pk"),
            status__in=Revision.OPEN,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(open_revision_status=Subquery(open_revisions.values("status")[:1]))
        )

    @admin.action(description=_("Submit the selected records for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        submitted = sum(revisions.submit(record, request.user) is not None for record in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d record submitted for review.",
                "%(count)d records submitted for review.",
                submitted,
            )
            % {"count": submitted},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish the selected records"), permissions=["publish"])
    def publish(self, request, queryset):
        published, stale = 0, []
        for record in queryset:
            revision = revisions.open_revision(record)
            if revision is not None:
                try:
                    revisions.publish(revision, request.user)
                except revisions.StaleRevision:
                    stale.append(str(record))
                    continue
            elif record.is_published:
                continue
            else:
                record.state = State.PUBLISHED
                record._change_reason = _("Published")
                record.save()
            published += 1
        self.message_user(
            request,
            ngettext("%(count)d record published.", "%(count)d records published.", published)
            % {"count": published},
            messages.SUCCESS,
        )
        if stale:
            self.message_user(
                request,
                _(
                    "Not published, because the record changed after its pending changes "
                    "were written (open its review page): %(records)s."
                )
                % {"records": ", ".join(stale)},
                messages.WARNING,
            )

    @admin.action(description=_("Withdraw the selected records"), permissions=["publish"])
    def withdraw(self, request, queryset):
        live = list(queryset.filter(state=State.PUBLISHED))
        if "confirm" not in request.POST:
            return TemplateResponse(
                request,
                "admin/cooperation/withdraw_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": _("Withdraw these records?"),
                    "records": live,
                    "selected": [record.pk for record in queryset],
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for record in live:
            # One save each, so that every change is recorded in the record's history.
            record.state = State.WITHDRAWN
            record._change_reason = _("Withdrawn")
            record.save()
        self.message_user(
            request,
            ngettext("%(count)d record withdrawn.", "%(count)d records withdrawn.", len(live))
            % {"count": len(live)},
            messages.SUCCESS,
        )
        return None


def dates_fieldset(model):
    """The model's partial dates (``model.DATES``), each beside its precision."""
    return (
        _("Dates"),
        {
            "fields": [
                tuple(
                    f"{name}_{part}"
                    for part in (DATE_PARTS if name in qualified_dates(model) else DATE_PARTS[:2])
                )
                for name in model.DATES
            ],
            "description": _(
                "A date known only to the year or month is entered as its first day "
                "(1942-01-01 for 1942, 1942-08-01 for August 1942) with that precision. "
                "A date known only approximately, or only to one side (before, after), or "
                "within a span (between the date and its latest date), or that only the "
                "source article gives, says so: it is shown as such, sorts and filters by "
                "the date, and is exported in EDTF (1975~, [..1989-02], [1952..], "
                "[1975..1977], 1989?)."
            ),
        },
    )


TEXT = (_("Text"), {"fields": ["summary", "body", "editorial_note", "sources", "citations"]})


class RecordForm(ReviewedForm):
    """A record's form: its citations must name sources among the ones it cites."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("citations")
        if field is not None and self.instance.pk:
            slugs = self.instance.sources.order_by("slug").values_list("slug", flat=True)
            if slugs:
                field.help_text = format_html(
                    "{} {} <code>{}</code>",
                    field.help_text,
                    _("The slugs of its sources:"),
                    ", ".join(slugs[:100]),
                )

    def clean(self):
        cleaned = super().clean()
        if "citations" in cleaned and "sources" in cleaned:
            slugs = [source.slug for source in cleaned["sources"]]
            if message := outside_sources(cleaned["citations"], slugs):
                self.add_error("citations", message)
        return cleaned


class RecordAdmin(PublishingAdmin):
    """What every record's admin shares: search, slugs from titles, timestamps, sources."""

    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    autocomplete_fields = ["sources"]
    list_per_page = 50
    form = RecordForm

    #: Rows of text shown for the long fields: a summary is a paragraph, a body is an essay.
    text_rows = {"summary": 3, "body": 20, "editorial_note": 6}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.text_rows:
            kwargs["widget"] = forms.Textarea(
                attrs={"rows": self.text_rows[db_field.name], "cols": 100}
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class LinkedRecordsAdmin:
    """Read-only lists of the agreements, initiatives, events and sections linked to a record."""

    linked_fields = ["agreements_links", "initiatives_links", "events_links", "sections_links"]

    agreements_links = related_links("agreements", _("agreements"))
    initiatives_links = related_links("initiatives", _("initiatives"))
    events_links = related_links("events", _("events"))
    sections_links = related_links("sections", _("article sections"))


class SourceForm(ReviewedForm):
    """A source's form: its slug cannot change while citations name it by that slug."""

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        old = self.instance.slug if self.instance.pk else None
        if old and slug != old:
            citing = [
                record
                for relation in Source.citing_relations()
                if issubclass(relation.related_model, Record)
                for record in relation.related_model.objects.filter(sources__slug=old).exclude(
                    citations=[]
                )
                if any(citation["source"] == old for citation in record.citations)
            ]
            if citing:
                raise forms.ValidationError(
                    _(
                        "The citations of %(records)s name this source as “%(slug)s”: change "
                        "them first, or keep the slug."
                    )
                    % {"records": ", ".join(f"“{record}”" for record in citing[:10]), "slug": old}
                )
        return slug


@admin.register(Source)
class SourceAdmin(PublishingAdmin):
    form = SourceForm
    list_display = ["title", "kind", "author", "publisher", "issued_display", "cites"]
    list_filter = ["kind"]
    search_fields = ["title", "slug", "author", "publisher", "url"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "created_at",
        "updated_at",
        "era_set_links",
        "agreement_set_links",
        "initiative_set_links",
        "event_set_links",
        "threat_set_links",
        "party_set_links",
        "section_set_links",
        "claims_links",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["title", "slug", "kind", "author", "publisher", "url", "identifier"]},
        ),
        (_("Dates"), {"fields": [("issued_date", "issued_precision"), "accessed_date"]}),
        (None, {"fields": ["description"]}),
        (
            _("Cited by"),
            {
                "fields": [
                    "era_set_links",
                    "agreement_set_links",
                    "initiative_set_links",
                    "event_set_links",
                    "threat_set_links",
                    "party_set_links",
                    "section_set_links",
                    "claims_links",
                ]
            },
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]

    issued_display = partial_date_column("issued", _("published"))
    era_set_links = related_links("era_set", _("eras"))
    agreement_set_links = related_links("agreement_set", _("agreements"))
    initiative_set_links = related_links("initiative_set", _("initiatives"))
    event_set_links = related_links("event_set", _("events"))
    threat_set_links = related_links("threat_set", _("threats"))
    party_set_links = related_links("party_set", _("parties"))
    section_set_links = related_links("section_set", _("article sections"))
    claims_links = related_links("claims", _("claims checked"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                agreement_citations=subquery_count(Agreement.sources.through.objects, "source"),
                initiative_citations=subquery_count(Initiative.sources.through.objects, "source"),
            )
        )

    @admin.display(description=_("cited by agreements / initiatives"))
    def cites(self, obj):
        return f"{obj.agreement_citations} / {obj.initiative_citations}"


@admin.register(Party)
class PartyAdmin(LinkedRecordsAdmin, RecordAdmin):
    list_display = ["title", "abbreviation", "kind", "country", "updated_at"]
    list_filter = ["kind", "country"]
    search_fields = ["title", "slug", "abbreviation", "summary"]
    readonly_fields = [*RecordAdmin.readonly_fields, *LinkedRecordsAdmin.linked_fields]
    fieldsets = [
        (None, {"fields": ["title", "slug", "abbreviation", "kind", "country"]}),
        TEXT,
        (
            _("Takes part in"),
            {"fields": LinkedRecordsAdmin.linked_fields},
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]


@admin.register(Era)
class EraAdmin(LinkedRecordsAdmin, RecordAdmin):
    list_display = ["title", "start_year", "end_year", "agreement_count", "initiative_count"]
    search_fields = ["title", "slug", "summary"]
    readonly_fields = [*RecordAdmin.readonly_fields, *LinkedRecordsAdmin.linked_fields]
    fieldsets = [
        (None, {"fields": ["title", "slug", "start_year", "end_year"]}),
        TEXT,
        (
            _("In this era"),
            {"fields": LinkedRecordsAdmin.linked_fields},
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                agreement_total=subquery_count(Agreement.objects, "era"),
                initiative_total=subquery_count(Initiative.objects, "era"),
            )
        )

    @admin.display(description=_("agreements"), ordering="agreement_total")
    def agreement_count(self, obj):
        return obj.agreement_total

    @admin.display(description=_("initiatives"), ordering="initiative_total")
    def initiative_count(self, obj):
        return obj.initiative_total


@admin.register(Threat)
class ThreatAdmin(LinkedRecordsAdmin, RecordAdmin):
    list_display = ["title", "category", "updated_at"]
    list_filter = ["category"]
    readonly_fields = [*RecordAdmin.readonly_fields, *LinkedRecordsAdmin.linked_fields]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category"]}),
        TEXT,
        (
            _("Addressed by"),
            {"fields": LinkedRecordsAdmin.linked_fields},
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    list_display = [
        "title",
        "kind",
        "scope",
        "status",
        "era_link",
        "signed_display",
    ]
    list_filter = ["status", "kind", "scope", "era", "threats"]
    list_select_related = ["era"]
    search_fields = ["title", "slug", "summary", "parties__title", "parties__abbreviation"]
    autocomplete_fields = ["era", "parties", "threats", "supersedes", "sources"]
    readonly_fields = [
        *RecordAdmin.readonly_fields,
        "superseded_by_links",
        "initiatives_links",
        "sections_links",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "scope", "status", "era"]}),
        (_("Who and what"), {"fields": ["parties", "threats", "supersedes"]}),
        dates_fieldset(Agreement),
        TEXT,
        (
            _("Related records"),
            {"fields": ["superseded_by_links", "initiatives_links", "sections_links"]},
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]

    era_link = link_column("era", _("era"), "era__start_year")
    signed_display = partial_date_column("signed", _("signed"))
    superseded_by_links = related_links("superseded_by", _("superseded by"))
    initiatives_links = related_links("initiatives", _("initiatives under it"))
    sections_links = related_links("sections", _("article sections"))


@admin.register(Initiative)
class InitiativeAdmin(RecordAdmin):
    list_display = [
        "title",
        "category",
        "status",
        "era_link",
        "agreement_link",
        "started_display",
    ]
    list_filter = ["category", "status", "era", "threats"]
    list_select_related = ["era", "agreement"]
    search_fields = ["title", "slug", "summary", "participants__title"]
    autocomplete_fields = ["era", "agreement", "participants", "threats", "sources"]
    readonly_fields = [*RecordAdmin.readonly_fields, "sections_links"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "status", "era", "agreement"]}),
        (_("Who and what"), {"fields": ["participants", "threats"]}),
        dates_fieldset(Initiative),
        TEXT,
        (_("Related records"), {"fields": ["sections_links"]}),
        PUBLISHING,
        TIMESTAMPS,
    ]

    era_link = link_column("era", _("era"), "era__start_year")
    agreement_link = link_column("agreement", _("agreement"), "agreement__title")
    started_display = partial_date_column("started", _("started"))
    sections_links = related_links("sections", _("article sections"))


@admin.register(Event)
class EventAdmin(RecordAdmin):
    list_display = ["title", "era_link", "started_display", "updated_at"]
    list_filter = ["era"]
    list_select_related = ["era"]
    autocomplete_fields = ["era", "parties", "threats", "sources"]
    readonly_fields = [*RecordAdmin.readonly_fields, "sections_links"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "era"]}),
        (_("Who and what"), {"fields": ["parties", "threats"]}),
        dates_fieldset(Event),
        TEXT,
        (_("Related records"), {"fields": ["sections_links"]}),
        PUBLISHING,
        TIMESTAMPS,
    ]

    era_link = link_column("era", _("era"), "era__start_year")
    started_display = partial_date_column("started", _("date"))
    sections_links = related_links("sections", _("article sections"))


class ChildSectionInline(admin.TabularInline):
    """The sections of a part, editable in place by publishers. Editors see them and change
    each on its own page, where changes to a published one wait for review."""

    model = Section
    form = InlineVersionedForm
    fk_name = "parent"
    fields = ["position", "title", "slug", "kind", "heading_in_article", "base_version"]
    prepopulated_fields = {"slug": ["title"]}
    extra = 0
    show_change_link = True
    verbose_name = _("section of this part")
    verbose_name_plural = _("sections of this part")

    def get_readonly_fields(self, request, obj=None):
        if request.user.has_perm("cooperation.publish_section"):
            return super().get_readonly_fields(request, obj)
        return [name for name in self.fields if name != "base_version"]

    def get_prepopulated_fields(self, request, obj=None):
        if request.user.has_perm("cooperation.publish_section"):
            return super().get_prepopulated_fields(request, obj)
        return {}


@admin.register(Section)
class SectionAdmin(RecordAdmin):
    list_display = ["title", "kind", "parent_link", "position", "heading_in_article"]
    list_filter = ["kind", "parent"]
    list_select_related = ["parent"]
    search_fields = ["title", "slug", "summary", "body"]
    autocomplete_fields = [
        "parent",
        "eras",
        "agreements",
        "initiatives",
        "threats",
        "events",
        "parties",
        "sources",
    ]
    inlines = [ChildSectionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "parent", "position", "heading_in_article"]}),
        TEXT,
        (
            _("Records this section discusses"),
            {"fields": ["eras", "agreements", "initiatives", "threats", "events", "parties"]},
        ),
        PUBLISHING,
        TIMESTAMPS,
    ]

    parent_link = link_column("parent", _("part"), "parent__position")

    def get_inlines(self, request, obj):
        # Only the parts have sections under them.
        if obj is not None and obj.parent_id is None:
            return self.inlines
        return []


@admin.register(Claim)
class ClaimAdmin(PublishingAdmin):
    """A passage of a section checked: its words must occur in the section's text."""

    list_display = ["__str__", "verdict", "section", "updated_at"]
    list_filter = ["verdict", "section"]
    search_fields = ["slug", "passage", "finding"]
    autocomplete_fields = ["section", "sources"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["section"]
    fieldsets = [
        (None, {"fields": ["section", "passage", "slug", "verdict"]}),
        (_("Finding"), {"fields": ["finding", "sources"]}),
        PUBLISHING,
        TIMESTAMPS,
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        rows = {"passage": 4, "finding": 12}
        if db_field.name in rows:
            kwargs["widget"] = forms.Textarea(attrs={"rows": rows[db_field.name], "cols": 100})
        return super().formfield_for_dbfield(db_field, request, **kwargs)
