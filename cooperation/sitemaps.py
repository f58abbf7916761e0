from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import PUBLIC_MODELS


class RecordSitemap(Sitemap):
    def __init__(self, model):
        self.model = model

    def items(self):
        return self.model.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, record):
        return record.updated_at


class PageSitemap(Sitemap):
    def items(self):
        return [
            "cooperation:article",
            "cooperation:era-list",
            "cooperation:timeline",
            "cooperation:claim-list",
            "cooperation:agreement-list",
            "cooperation:initiative-list",
            "cooperation:threat-list",
            "cooperation:party-list",
            "cooperation:source-list",
        ]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    **{model._meta.model_name: RecordSitemap(model) for model in PUBLIC_MODELS},
}
