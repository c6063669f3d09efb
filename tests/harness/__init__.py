"""The one shared test harness: stores, apps, signed requests, the fake case system, and the fixture table every
channel's fixtures run through (`fixture_table.py`, the tables in `tables/`, the runner `test_fixture_tables.py`)."""
