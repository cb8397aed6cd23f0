"""RFC 8785 JSON Canonicalization Scheme (JCS), and strict parsing of incoming JSON.

`canonicalize(value) -> bytes` writes the one canonical UTF-8 form: object keys sorted by
their UTF-16 code units, no whitespace, strings escaped only where JSON must, numbers as
ECMAScript writes them. Signed documents carry no floats (see `loads_strict`), but the
number rules are complete so that the RFC's own examples check out.
"""
from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring  # the C escaper: ", \\, controls; lowercase \\u00xx
from typing import Any

from schemas.errors import ContractError

MAX_SAFE_INTEGER = 2**53 - 1
SURROGATE = re.compile("[\ud800-\udfff]")
# a surrogate escape, or (in a str) a raw surrogate: only then can a parsed string hold one
SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical bytes of a JSON value."""
    parts: list[str] = []
    _write(value, parts)
    return _utf8("".join(parts))


def canonicalize_parsed(value: Any) -> bytes:
    """JCS of a value that came from `loads_strict` (no floats, only safe integers), fast.

    For such values the C encoder writes the same bytes as RFC 8785 — same escapes, integers
    as digits — except that it sorts keys by code point where JCS sorts by UTF-16 unit; the
    two orders differ only around characters above U+FFFF, so those fall back to the full path.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if text.isascii() or max(text) <= "\uffff":
        return _utf8(text)
    return canonicalize(value)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise lone_surrogate() from exc


def lone_surrogate() -> ContractError:
    """A string holding half of a UTF-16 surrogate pair (``"\\ud800"``): no UTF-8 can carry it."""
    return ContractError("json.lone_surrogate", "a string holds a lone UTF-16 surrogate (e.g. \\ud800)",
                         "数据中含有无效的字符（不成对的 UTF-16 代理项，如 \\ud800），无法保存；请删除该字符后重新提交")


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, (list, tuple)):
        _write_array(value, out)
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def _write_object(obj: dict, out: list[str]) -> None:
    out.append("{")
    first = True
    for key in _sorted_keys(obj):
        if not first:
            out.append(",")
        first = False
        out.append(encode_basestring(key))
        out.append(":")
        _write(obj[key], out)
    out.append("}")


def _write_array(items: list | tuple, out: list[str]) -> None:
    out.append("[")
    for index, item in enumerate(items):
        if index:
            out.append(",")
        _write(item, out)
    out.append("]")


def _sorted_keys(obj: dict) -> list[str]:
    for key in obj:
        if not isinstance(key, str):
            raise TypeError("object keys must be strings")
    keys = sorted(obj)
    # Code-point order equals UTF-16 order unless a key holds a character above U+FFFF.
    if any(not key.isascii() and max(key) > "\uffff" for key in keys):
        keys.sort(key=lambda key: key.encode("utf-16-be", "surrogatepass"))
    return keys


def _integer(value: int) -> str:
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    return format_number(float(value))


def format_number(value: float) -> str:
    """ECMAScript Number::toString for a double (RFC 8785 §3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise ContractError("json.bad_number", "NaN and Infinity are not JSON",
                            "数值无效（NaN 或无穷大）")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    return sign + _place_point(digits, point)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits `s` and `n` such that value = 0.s × 10^n."""
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0") if fraction != "0" else ""
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        stripped = fraction.lstrip("0")
        point = -(len(fraction) - len(stripped)) + (int(exponent) if exponent else 0)
        digits = stripped
    return digits.rstrip("0"), point


def _place_point(digits: str, n: int) -> str:
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exponent = n - 1
    mark = "+" if exponent > 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{mark}{abs(exponent)}"


# --- strict parsing -------------------------------------------------------------------------

def loads_strict(data: bytes | str, *, allow_floats: bool = False, allow_lone_surrogates: bool = False) -> Any:
    """Parse incoming JSON, refusing what would make a signature ambiguous.

    Refused: bytes that are not UTF-8 (or carry a BOM), duplicate object keys, NaN/Infinity,
    and (unless allowed) any number with a fraction or exponent or an integer beyond ±(2^53−1),
    which other languages' parsers would round (I-JSON, RFC 7493), and (unless allowed) a string
    holding a lone surrogate (``"\\ud800"`` is valid JSON text, but no UTF-8 can carry it).
    """
    text = _decode(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    value = _loads(text, allow_floats)
    if not allow_lone_surrogates and SURROGATE_HINT.search(text) and not _all_utf8(value):
        raise lone_surrogate()
    return value


def _all_utf8(value: Any) -> bool:
    if isinstance(value, str):
        return not SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_all_utf8(key) and _all_utf8(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_all_utf8(item) for item in value)
    return True


def _loads(text: str, allow_floats: bool) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs,
                          parse_float=None if allow_floats else _refuse_float,
                          parse_int=None if allow_floats else _safe_int,
                          parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ContractError("json.malformed", f"malformed JSON: {exc}",
                            f"数据格式错误（不是有效的 JSON）：第 {exc.lineno} 行第 {exc.colno} 列") from exc
    except RecursionError as exc:
        raise ContractError("json.too_deep", "JSON nested too deeply", "数据嵌套层级过深") from exc


def _decode(data: bytes | bytearray | memoryview) -> str:
    raw = bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ContractError("json.bom", "JSON must not start with a byte-order mark",
                            "数据不能以字节顺序标记（BOM）开头")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError("json.not_utf8", f"not UTF-8 at byte {exc.start}",
                            f"数据不是 UTF-8 编码（第 {exc.start} 字节）") from exc


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        if SURROGATE.search(dup):
            raise lone_surrogate()      # not echoed: no reply could carry it
        raise ContractError("json.duplicate_key", f"duplicate key {dup!r}",
                            f"数据中有重复的字段：{dup}", {"key": dup})
    return obj


def _refuse_float(text: str) -> Any:
    raise ContractError("json.float", f"number {text} has a fraction or exponent; use integers",
                        f"签名文档中不允许小数：{text}（请使用整数）", {"number": text})


def _safe_int(text: str) -> int:
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise ContractError("json.big_integer", f"integer {text} is beyond 2^53-1",
                        f"整数超出允许范围：{text}", {"number": text})


def _refuse_constant(text: str) -> Any:
    raise ContractError("json.bad_number", f"{text} is not JSON", f"数值无效：{text}")
