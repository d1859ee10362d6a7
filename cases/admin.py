"""Patient data is not edited in the Django admin: services own every write. Reference data only."""
