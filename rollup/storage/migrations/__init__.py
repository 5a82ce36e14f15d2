"""Plain SQL migration files (package data), applied by :mod:`rollup.storage.migrate`."""
