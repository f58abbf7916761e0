import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from cooperation.database import refresh_planner_statistics
from cooperation.dates import DatePrecision, PartialDate
from cooperation.models import RECORD_MODELS, Agreement, Era, Section, Source
from tests import factories

pytestmark = pytest.mark.django_db


def test_era_cannot_end_before_it_starts_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Era.objects.create(title="Backwards", slug="backwards", start_year=1950, end_year=1940)


def test_era_ending_before_it_starts_fails_validation_with_a_message():
    era = Era(title="Backwards", slug="backwards", start_year=1950, end_year=1940)
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        era.full_clean()


def test_ongoing_era_and_one_year_era_are_valid():
    Era(title="Ongoing", slug="ongoing", start_year=2021).full_clean()
    Era(title="One year", slug="one-year", start_year=1942, end_year=1942).full_clean()


def test_slugs_are_unique():
    factories.ThreatFactory(slug="terrorism")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.ThreatFactory(slug="terrorism")


def test_agreement_cannot_supersede_itself_in_the_database():
    agreement = factories.AgreementFactory()
    agreement.supersedes = agreement
    with pytest.raises(IntegrityError), transaction.atomic():
        agreement.save()


def test_agreement_superseding_itself_fails_validation():
    agreement = factories.AgreementFactory()
    agreement.supersedes = agreement
    with pytest.raises(ValidationError, match="supersede itself"):
        agreement.full_clean()


def test_supersedes_cycle_fails_validation():
    first = factories.AgreementFactory()
    second = factories.AgreementFactory(supersedes=first)
    first.supersedes = second
    with pytest.raises(ValidationError) as error:
        first.full_clean()
    assert "supersedes" in error.value.message_dict


def test_supersedes_chain_without_cycle_is_valid():
    first = factories.AgreementFactory()
    second = factories.AgreementFactory(supersedes=first)
    third = factories.AgreementFactory(supersedes=second)
    third.full_clean()


def test_date_without_precision_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.AgreementFactory(signed_precision="")


def test_precision_without_date_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.InitiativeFactory(started_date=None, started_precision=DatePrecision.DAY)


@pytest.mark.parametrize(
    ("date", "precision", "field"),
    [
        (datetime.date(1942, 8, 4), DatePrecision.YEAR, "signed_date"),
        (datetime.date(1942, 8, 4), DatePrecision.MONTH, "signed_date"),
        (datetime.date(1942, 8, 4), "", "signed_precision"),
        (None, DatePrecision.DAY, "signed_precision"),
    ],
)
def test_partial_date_must_match_its_precision(date, precision, field):
    agreement = factories.AgreementFactory.build(
        era=None, signed_date=date, signed_precision=precision
    )
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert field in error.value.message_dict


def test_end_date_before_start_fails_validation():
    initiative = factories.InitiativeFactory.build(
        era=None,
        started_date=datetime.date(2010, 1, 1),
        started_precision=DatePrecision.YEAR,
        ended_date=datetime.date(2009, 1, 1),
        ended_precision=DatePrecision.YEAR,
    )
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert "ended_date" in error.value.message_dict


@pytest.mark.parametrize(
    ("precision", "shown", "iso"),
    [
        (DatePrecision.YEAR, "1942", "1942"),
        (DatePrecision.MONTH, "August 1942", "1942-08"),
        (DatePrecision.DAY, "1 August 1942", "1942-08-01"),
    ],
)
def test_partial_date_is_shown_at_its_precision(precision, shown, iso):
    date = PartialDate(datetime.date(1942, 8, 1), precision)
    assert str(date) == shown
    assert date.iso == iso


def test_partial_date_property_reads_both_fields():
    agreement = factories.AgreementFactory.build(
        signed_date=datetime.date(1942, 8, 1), signed_precision=DatePrecision.MONTH
    )
    assert agreement.signed == PartialDate(datetime.date(1942, 8, 1), "month")
    assert agreement.ended is None


def test_section_cannot_be_its_own_part_in_the_database():
    part = factories.SectionFactory()
    part.parent = part
    with pytest.raises(IntegrityError), transaction.atomic():
        part.save()


def test_two_parts_cannot_share_a_position():
    factories.SectionFactory(position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SectionFactory(position=1)


def test_two_sections_of_a_part_cannot_share_a_position():
    part = factories.SectionFactory()
    factories.SectionFactory(kind="section", parent=part, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SectionFactory(kind="section", parent=part, position=1)


def test_sections_sit_directly_under_a_part():
    part = factories.SectionFactory()
    section = factories.SectionFactory(kind="section", parent=part, position=1)
    nested = factories.SectionFactory.build(kind="section", parent=section, position=1)
    with pytest.raises(ValidationError, match="itself a section"):
        nested.full_clean()
    orphan = factories.SectionFactory.build(kind="section", parent=None, position=9)
    with pytest.raises(ValidationError, match="Choose the part"):
        orphan.full_clean()


def test_sections_come_in_reading_order():
    intro = factories.SectionFactory(kind="introduction", position=0)
    second = factories.SectionFactory(position=2)
    first = factories.SectionFactory(position=1)
    first_b = factories.SectionFactory(kind="section", parent=first, position=2)
    first_a = factories.SectionFactory(kind="section", parent=first, position=1)
    second_a = factories.SectionFactory(kind="section", parent=second, position=1)
    assert list(Section.objects.all()) == [intro, first, first_a, first_b, second, second_a]


@pytest.mark.parametrize("model", [*RECORD_MODELS, Source], ids=lambda model: model.__name__)
def test_natural_key_is_the_slug_and_finds_the_record(model, populate):
    records = populate(1)
    record = records[model._meta.model_name]
    assert record.natural_key() == (record.slug,)
    assert model.objects.get_by_natural_key(record.slug) == record


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.__name__)
def test_str_and_absolute_url(model, populate, client):
    record = populate(1)[model._meta.model_name]
    assert str(record) == record.title
    assert record.get_absolute_url().endswith(f"/{record.slug}/")
    assert client.get(record.get_absolute_url()).status_code == 200


def test_for_detail_fetches_the_record_its_era_and_its_sources_at_once(
    django_assert_num_queries, populate
):
    """The relations that grow with the data are fetched by the page, fifty at most each."""
    populate(3)
    slug = Agreement.objects.first().slug
    with django_assert_num_queries(2):
        agreement = Agreement.objects.for_detail().get(slug=slug)
    with django_assert_num_queries(0):
        assert agreement.era.title
        assert agreement.supersedes is None
        assert [source.title for source in agreement.sources.all()]


def test_refreshing_planner_statistics_analyzes_the_tables():
    factories.AgreementFactory.create_batch(3)
    refresh_planner_statistics()

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'cooperation_agreement'")
        else:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = 'cooperation_agreement'"
                " AND reltuples >= 0"
            )
        assert cursor.fetchall(), "the agreement table has no planner statistics"
