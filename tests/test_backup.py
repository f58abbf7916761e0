"""make backup and make restore: a copy of the whole database, taken while the site runs, that
gives back exactly what it held."""

import pytest
from django.core.management import call_command

from cooperation.caching import current_version
from cooperation.models import Agreement, Revision
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_gives_back_exactly_what_it_held(tmp_path, capsys):
    kept = factories.AgreementFactory(
        title="Kept as it was", parties=factories.PartyFactory.create_batch(2)
    )
    parties = set(kept.parties.values_list("pk", flat=True))
    versions = kept.history.count()
    path = tmp_path / "backup.file"

    call_command("backup", "--output", str(path))
    assert path.stat().st_size > 0
    kept.title = "Changed after the backup"
    kept.save()
    kept.parties.clear()
    factories.AgreementFactory(title="Added after the backup")
    before = current_version()

    call_command("restore", str(path), "--yes")

    restored = Agreement.objects.get(pk=kept.pk)
    assert restored.title == "Kept as it was"
    assert set(restored.parties.values_list("pk", flat=True)) == parties
    assert restored.history.count() == versions
    assert not Agreement.objects.filter(title="Added after the backup").exists()
    assert not Revision.objects.exists()
    # Pages cached since the backup are never served for the restored content.
    assert current_version()[0] > before[0]
    assert "Restored" in capsys.readouterr().out


def test_restore_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such backup"):
        call_command("restore", str(tmp_path / "none"), "--yes")
