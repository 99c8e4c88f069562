"""The staff back office, split by subject: dashboard, families, records, children, logins."""
