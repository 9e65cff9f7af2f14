"""Storage: the catalog schema, its migrations and the database connection."""
