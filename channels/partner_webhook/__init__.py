"""Partner platforms' webhooks: signed JSON reports, one secret per source. Pure functions only."""
