"""The commitments ledger: what letters promised, what later letters report, which figures moved."""
