import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cooperation.imports import export_records
from cooperation.models import PUBLIC_MODELS

MODELS = {model._meta.model_name: model for model in PUBLIC_MODELS}


class Command(BaseCommand):
    help = (
        "Write the records as fixture JSON with natural keys, the format import_records reads, "
        "with each qualified date also in EDTF (<name>_edtf). Exporting, importing into an "
        "empty database and exporting again gives the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model",
            action="append",
            choices=sorted(MODELS),
            help="Export only this model (repeatable). Default: every record type.",
        )
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args, model=None, output=None, **options):
        models = [MODELS[name] for name in model] if model else PUBLIC_MODELS
        # Keep the dependency order whatever the order of --model.
        text = export_records([m for m in PUBLIC_MODELS if m in models])
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{output}: cannot be written ({error.strerror}).") from None
        else:
            sys.stdout.write(text)
