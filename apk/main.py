"""The APK's entry: `flet build apk`, run in this folder, packages main.py with field_app and
schemas (symbolic links to the repository's packages; nothing else of the repository is in this
folder) and runs it as __main__ on the tablet. See docs/FIELD_APP.md, "The APK"."""
from field_app.main import run

if __name__ == "__main__":
    run()
