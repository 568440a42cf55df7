"""Shared domain code: configuration, records, log bus, secret and object stores."""
