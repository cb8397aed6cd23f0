"""The office console at /office (server-rendered pages behind office sessions)."""
