"""The registries (一单两库): the item list, supervised units and officers, imported from .xlsx/.csv."""
