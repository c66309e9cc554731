"""English meanings and names of the platform's error codes, read from errors_en.txt
(`scope code|Name|English`; an empty Name is derived from the English)."""
import os

ERRORS_EN = {}
ERROR_NAMES = {}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "errors_en.txt"), encoding="utf-8") as _fh:
    for _line in _fh:
        _line = _line.rstrip("\n")
        if not _line or _line.startswith("#"):
            continue
        _head, _name, _en = _line.split("|", 2)
        _scope, _code = _head.split()
        ERRORS_EN[(_scope, _code)] = _en
        if _name:
            ERROR_NAMES[(_scope, _code)] = _name

# MCU timeout / initialising / busy / waiting for the previous command: worth a retry.
RETRYABLE = {("platform", "20001"), ("platform", "20002"), ("platform", "20003"), ("platform", "20004")}
