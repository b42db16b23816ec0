"""Accounts, roles, access labels and the audit trail (see docs/security.md)."""
