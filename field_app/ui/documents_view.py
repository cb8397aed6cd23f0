"""The papers handed over on site (现场检查笔录, 卫生监督意见书) opened from a signed record: the PDF
this device made (the inspector) or downloaded with the review queue (the leader), checked
against the hash in the signed record. On a tablet the system asks where to save it and opens
it from there; in web mode the browser downloads it."""
from __future__ import annotations

import hashlib
from typing import Any

import flet as ft

from field_app.documents.content import TITLES
from field_app.ui import theme


def document_lines(shell: Any, record: dict[str, Any], unit_name: str) -> list[ft.Control]:
    """A button that opens the record's PDF, or why it cannot be opened; nothing for a record
    without papers (unreachable, or signed by an app version before them)."""
    documents = record.get("documents")
    if not documents:
        return []
    titles = "、".join(TITLES[k] for k in documents["kinds"])
    data = shell.state.files.document(documents["pdf"])
    if data is None or hashlib.sha256(data).hexdigest() != documents["pdf"]:
        return [ft.Text(f"现场文书（{titles}）未下载，同步后可查看", size=theme.BODY)]

    async def open_pdf(_: Any) -> None:
        await shell.picker.save_file(dialog_title=f"保存{titles}", file_name=f"{unit_name}-现场文书.pdf",
                                     src_bytes=data)

    return [theme.big_button(f"查看现场文书（{titles}，PDF）", open_pdf, icon=ft.Icons.PICTURE_AS_PDF,
                             label="查看现场文书")]
