"""The 12345 hotline channel: one call as JSON (`call`), its body schema (`schema`) and keyed-in calls as CSV rows
(`csv_rows`). Pure functions only."""
