"""The one shared test harness: stores, apps, signed requests and the fake case system."""
