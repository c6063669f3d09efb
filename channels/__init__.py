"""Channel adapters: each verifies its caller and parses a request into a canonical ticket. Pure functions."""
