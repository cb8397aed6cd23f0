"""The contract's one error type.

    ContractError            a document breaks the wire contract
      code                   stable, dotted: "json.duplicate_key", "envelope.bad_signature", ...
      message                English, for logs and developers
      message_zh             Chinese, for the person who reads it on a screen

Server and client map it to the one JSON error shape (`schemas/v1/error.schema.json`).
"""
from __future__ import annotations


class ContractError(ValueError):
    def __init__(self, code: str, message: str, message_zh: str, detail: object = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.detail = detail
