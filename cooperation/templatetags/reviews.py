"""The admin home's lists of changes: those awaiting a publisher, and an editor's own."""

from django import template
from django.urls import reverse

from ..history import moment
from ..models import Revision, RevisionStatus

register = template.Library()

#: Each list shows at most this many changes, newest first, and says how many there are.
SHOWN = 20


def rows(revisions):
    """The changes as the lists show them: record, type, who, when, comment, links."""
    listed = []
    for revision in revisions:
        record, opts = revision.record, revision.content_type.model_class()._meta
        if record is None:  # deleted since
            continue
        listed.append(
            {
                "revision": revision,
                "record": record,
                "type": opts.verbose_name,
                "when": moment(revision.updated_at),
                "review_url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_review", args=[record.pk]
                ),
                "change_url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]
                ),
            }
        )
    return listed


@register.inclusion_tag("admin/cooperation/review_lists.html", takes_context=True)
def review_lists(context):
    user = context["request"].user
    may_publish = any(
        user.has_perm(f"cooperation.publish_{model}")
        for model in ("agreement", "initiative", "section", "source")
    )
    awaiting = Revision.objects.filter(status=RevisionStatus.SUBMITTED)
    own = Revision.objects.filter(author=user)
    return {
        "may_publish": may_publish,
        "awaiting": rows(awaiting.for_list().prefetch_related("record")[:SHOWN])
        if may_publish
        else [],
        "awaiting_count": awaiting.count() if may_publish else 0,
        "own": rows(own.for_list().prefetch_related("record")[:SHOWN]),
        "own_count": own.count(),
        "shown": SHOWN,
    }
