"""`python -m field_app` / `field-app`: the tablet app arrives with the field-app issue."""
from __future__ import annotations

import sys


def main() -> int:
    print("随检现场应用（平板端）将在下一阶段提供；同步客户端已在 field_app.sync 中可用。\n"
          "The Flet field app comes with the field-app issue; the headless sync client is field_app.sync.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
