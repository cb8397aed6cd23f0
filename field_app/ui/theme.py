"""Sizes and colours for gloved hands and daylight: big targets, high contrast, one CJK font."""
from __future__ import annotations

import flet as ft

from field_app.fonts import FONT_FILE

FONT = "NotoSansSC"
FONTS = {FONT: f"fonts/{FONT_FILE}"}  # a URL relative to the assets folder (field_app/assets)
TOUCH = 56          # minimum height of anything tapped, in logical pixels
BODY = 18
TITLE = 22
STATE_COLOURS = {"todo": ft.Colors.BLUE_GREY_100, "draft": ft.Colors.AMBER_100, "submitted": ft.Colors.LIGHT_BLUE_100,
                 "returned": ft.Colors.RED_100, "approved": ft.Colors.GREEN_100,
                 "lab_pending": ft.Colors.PURPLE_100}
OUTCOME_COLOURS = {"compliant": ft.Colors.GREEN_200, "non_compliant": ft.Colors.RED_200,
                   "not_applicable": ft.Colors.BLUE_GREY_200, "pending_lab": ft.Colors.PURPLE_200}


def theme() -> ft.Theme:
    return ft.Theme(font_family=FONT, color_scheme_seed=ft.Colors.INDIGO)


def big_button(text: str, on_click, *, primary: bool = False, label: str | None = None, icon=None,
               disabled: bool = False, colour=None, expand: bool | int | None = None) -> ft.Control:
    """A button at least TOUCH high; `label` is what a screen reader (and a test) calls it."""
    content = ft.Text(text, size=BODY, semantics_label=label) if label else ft.Text(text, size=BODY)
    kind = ft.FilledButton if primary else ft.Button
    return kind(content=content, icon=icon, on_click=on_click, height=TOUCH, disabled=disabled, bgcolor=colour,
                expand=expand, style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=20)))


def badge(text: str, colour) -> ft.Control:
    return ft.Container(ft.Text(text, size=15), bgcolor=colour, border_radius=6,
                        padding=ft.Padding.symmetric(horizontal=10, vertical=4))


def notice(text: str, colour=ft.Colors.AMBER_50) -> ft.Control:
    return ft.Container(ft.Text(text, size=BODY), bgcolor=colour, padding=12, border_radius=8)


def thumb(data: bytes | None, on_remove) -> ft.Control:
    """A photo's thumbnail with a delete button in its corner."""
    image = ft.Image(src=data, width=96, height=72, fit=ft.BoxFit.COVER) if data else ft.Text("照片")
    return ft.Stack([image, ft.IconButton(ft.Icons.CLOSE, on_click=on_remove, tooltip="删除照片", icon_size=18,
                                          right=-8, top=-8)], width=96, height=72)
