"""Demo data: a realistic, deterministic district of liaison stations (see build_demo).

plan.py draws the district from a seed without touching the database, store.py writes it
(Wagtail API for the default size, bulk inserts for large --scale runs), reset.py removes it,
build.py times the steps.
"""
