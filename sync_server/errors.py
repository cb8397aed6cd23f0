"""The API's errors: one hierarchy, stable codes, one wire shape (schemas/v1/error.schema.json).

    ApiError(status, code, message, message_zh, detail)
      BadRequest          400  malformed input
      Unauthorized        401  no or unknown token
      Forbidden           403  a role or team that does not allow this
      NotFound            404
      Conflict            409  same id, other bytes; a code already used
      TooLarge            413  body or photo over the limit
      Unsupported         415  not a photo type we take
      TooManyFailures     429  "auth.too_many_failures": too many failed sign-ins; `Retry-After`
      FieldErrors         422  "form.invalid": a form's fields, each with its reason in Chinese (console)
      Stale               409  "form.stale": the form was opened before the thing it changes moved on
      StorageFull         507  "storage.full": the server's disk is full; nothing of this request
                               was saved, what was saved before is intact; retry later
      StorageUnavailable  503  "storage.unavailable": the object store (S3) cannot be reached or
                               refuses us; nothing of this request was saved; retry later

A schemas.ContractError met at the boundary becomes a BadRequest with the same code. A full disk
(SQLite's SQLITE_FULL in sync_server/db/connection.py, ENOSPC writing a photo in photostore) becomes
a StorageFull; an S3 store that is down or misconfigured (sync_server/blobs/s3.py) a StorageUnavailable.
Any other exception is a 500 "internal.error" whose traceback goes to the log and
never to the reply.
"""
from __future__ import annotations

from typing import Any

from schemas.errors import ContractError
from sync_server.accounts.core.throttle import wait_text


class ApiError(Exception):
    status = 500
    headers: dict[str, str] | None = None    # HTTP headers the reply carries (Retry-After)

    def __init__(self, code: str, message: str, message_zh: str, detail: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.message_zh, self.detail = code, message, message_zh, detail

    def as_json(self) -> dict[str, Any]:
        body = {"code": self.code, "message": self.message, "message_zh": self.message_zh}
        if self.detail is not None:
            body["detail"] = self.detail
        return body

    @classmethod
    def from_contract(cls, exc: ContractError) -> "ApiError":
        return cls(exc.code, exc.message, exc.message_zh, exc.detail)


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class TooLarge(ApiError):
    status = 413


class Unsupported(ApiError):
    status = 415


class FieldErrors(ApiError):
    """A form's invalid fields: {field name: the reason in Chinese}, shown beside each field by the
    office console (sync_server/office/console.py); nothing of the form is applied."""
    status = 422

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("form.invalid", "invalid fields: " + ", ".join(self.fields),
                         "；".join(self.fields.values()), {"fields": self.fields})


class Stale(ApiError):
    """A form opened before what it changes moved on (a task announced since, a version published):
    refused, nothing applied; the person reloads and decides again."""
    status = 409

    def __init__(self, message_zh: str, detail: Any = None) -> None:
        super().__init__("form.stale", "the form is out of date", message_zh, detail)


class TooManyFailures(ApiError):
    status = 429

    def __init__(self, wait: int) -> None:
        super().__init__("auth.too_many_failures", f"too many failed attempts; retry after {wait} seconds",
                         f"错误次数过多，请 {wait_text(wait)}后再试", {"retry_after": wait})
        self.headers = {"Retry-After": str(wait)}


class StorageFull(ApiError):
    status = 507

    def __init__(self, detail: Any = None) -> None:
        super().__init__("storage.full", "the server's storage is full; nothing of this request was saved",
                         "服务器存储空间已满，数据未保存，请稍后重试；已保存的数据不受影响", detail)


class StorageUnavailable(ApiError):
    status = 503

    def __init__(self, detail: Any = None) -> None:
        super().__init__("storage.unavailable", "the object store cannot be reached; nothing of this request was saved",
                         "服务器的照片存储暂时无法访问，数据未保存，请稍后重试；已保存的数据不受影响", detail)
        self.headers = {"Retry-After": "30"}


def error_json(exc: ContractError | ApiError) -> dict[str, Any]:
    """The wire shape of either error type (used inside receipts too)."""
    if isinstance(exc, ContractError):
        exc = ApiError.from_contract(exc)
    return exc.as_json()
