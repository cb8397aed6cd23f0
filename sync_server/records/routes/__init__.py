"""HTTP resources: authorize, validate, call the service, serialize."""
