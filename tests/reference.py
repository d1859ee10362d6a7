"""The national risk catalogue that migration risk/0002 loads, put back where a flush removed it."""


def ensure_national_catalogue() -> None:
    """Load the national catalogue unless it is there (idempotent). Transactional tests flush every table
    when they finish, so whatever runs after one of them on the same worker may find it gone."""
    from risk.catalogue import load_yaml
    from risk.loading import NATIONAL_EFFECTIVE_FROM, NATIONAL_KEY, load_catalogue
    from risk.models import CatalogueCriterion, CatalogueVersion

    if not CatalogueVersion.objects.filter(key=NATIONAL_KEY).exists():
        load_catalogue(
            CatalogueVersion,
            CatalogueCriterion,
            load_yaml(),
            key=NATIONAL_KEY,
            title="national",
            effective_from=NATIONAL_EFFECTIVE_FROM,
        )
