"""Regenerate the [binary] table of apk/android-packages.toml from a mobile-forge checkout.

    python apk/make_android_list.py PATH-TO-mobile-forge COMMIT > /tmp/binary.toml

mobile-forge (https://github.com/flet-dev/mobile-forge) holds the recipes that Flet's Android
and iOS builds use for packages with compiled code; its wheels are published at
https://pypi.flet.dev, the index `flet build apk` installs from. Each recipe's meta.yaml is a
Jinja template (some versions depend on the Python version); it is rendered here the way forge
renders it (.ci/read_meta.py), for Android and the Python the APK bundles (PYTHON below).
Needs PyYAML and Jinja2 (dev only; the tablet never runs this).
"""
from __future__ import annotations

import subprocess
import sys
from collections import namedtuple

import jinja2
import yaml

PYTHON = (3, 12)
Version = namedtuple("Version", "major minor micro releaselevel serial")


def recipes(repo: str, commit: str) -> dict[str, str]:
    names = subprocess.run(["git", "-C", repo, "ls-tree", "--name-only", f"{commit}:recipes"],
                           capture_output=True, text=True, check=True).stdout.split()
    found = {}
    for name in names:
        text = subprocess.run(["git", "-C", repo, "show", f"{commit}:recipes/{name}/meta.yaml"],
                              capture_output=True, text=True, check=True).stdout
        rendered = jinja2.Template(text).render(version=None, py_version=Version(*PYTHON, 0, "final", 0),
                                                sdk="android", sdk_version=24, arch="arm64-v8a")
        package = (yaml.safe_load(rendered) or {}).get("package", {})
        found[str(package.get("name", name)).lower()] = str(package.get("version", ""))
    return found


def main() -> None:
    repo, commit = sys.argv[1], sys.argv[2]
    print(f"# mobile-forge {commit}, recipes/*/meta.yaml rendered for Android, Python {PYTHON[0]}.{PYTHON[1]}")
    print("[binary]")
    for name, version in sorted(recipes(repo, commit).items()):
        key = f'"{name}"' if "." in name else name
        print(f'{key} = "{version}"')


if __name__ == "__main__":
    main()
