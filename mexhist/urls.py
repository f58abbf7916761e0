from django.contrib import admin
from django.urls import include, path

from cooperation.admin.imports import import_job_view, import_view
from mexhist.monitoring import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/import/", admin.site.admin_view(import_view), name="cooperation-import"),
    path(
        "admin/import/<int:job_id>/",
        admin.site.admin_view(import_job_view),
        name="cooperation-import-job",
    ),
    path("admin/", admin.site.urls),
    path("", include("cooperation.urls")),
]
