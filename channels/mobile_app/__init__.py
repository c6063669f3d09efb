"""The mobile app channel: a Bearer-authenticated JSON report with an `Idempotency-Key`. Pure functions only."""
