"""Synthetic demo data: ``manage.py seed_demo`` builds a regional network of facilities and staff."""
