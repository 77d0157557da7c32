"""Shared helpers of the interop suite: run the built `sesame` binary and the other tools.

The suite never skips: a missing tool is an error (scripts/test.sh installs them).
"""

import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INTEROP = ROOT / "tests" / "interop"
FIXTURES = INTEROP / "fixtures"
CORPUS = ROOT / "tests" / "c14n-corpus"
SESAME = pathlib.Path(os.environ.get("SESAME_BIN", ROOT / "target" / "debug" / "sesame"))

KEY = FIXTURES / "idp-key.pem"
CERT = FIXTURES / "idp-cert.pem"
OTHER_KEY = FIXTURES / "other-key.pem"
OTHER_CERT = FIXTURES / "other-cert.pem"
RESPONSE = FIXTURES / "response-unsigned.xml"

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


def run(cmd, data=b"", timeout=120):
    """Runs `cmd` with `data` on stdin; returns the CompletedProcess (bytes)."""
    return subprocess.run(
        [str(c) for c in cmd], input=data, capture_output=True, timeout=timeout, check=False
    )


def sesame(*args, data=b""):
    """Runs the sesame binary."""
    return run([SESAME, *args], data)


def sesame_ok(*args, data=b""):
    """Runs the sesame binary and returns its stdout, failing the test on a non-zero exit."""
    p = sesame(*args, data=data)
    assert p.returncode == 0, f"sesame {' '.join(args)} exited {p.returncode}: {p.stderr.decode()}"
    assert b"panicked" not in p.stderr
    return p.stdout


def assert_refused(p):
    """A refusal: exit 1, exactly one line on stderr, no panic."""
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, f"exit {p.returncode}, stderr: {err}"
    assert "panicked" not in err
    assert len(err.strip().splitlines()) == 1, f"not one line: {err!r}"
    return err


@pytest.fixture(scope="session", autouse=True)
def tools():
    """Fails (never skips) when the binary or a tool is missing."""
    assert SESAME.is_file(), f"{SESAME} is missing: run `cargo build -p sesame` first"
    for tool in ("xmlsec1", "node"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/test.sh, which installs it"
    assert (INTEROP / "node_modules" / "xml-crypto").is_dir(), "run `npm ci` in tests/interop"
