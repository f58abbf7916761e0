"""Scan the installed (locked) dependencies for known vulnerabilities with pip-audit, and say
plainly what could and could not be scanned.

pip-audit reads each release's advisories from PyPI (https://pypi.org/pypi/NAME/VERSION/json).
Where that is unreachable (a mirror that serves only the package index), no release can be
scanned: this says so and lists how far each locked package is behind its newest release, read
from the project pages the mirror does serve, rather than report a scan that did not happen.
Exit status 1 only for a known vulnerability found."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"


def locked():
    """{name: version} of requirements.lock."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            requirement = line.split(";")[0].split()[0]
            name, version = requirement.split("==")
            pins[name.lower()] = version
    return pins


def newest(name):
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=20) as page:
            return json.load(page)["info"]["version"]
    except (OSError, ValueError, KeyError):
        return None


def main():
    result = subprocess.run(  # noqa: S603 - our own tool
        [str(PIP_AUDIT), "--format", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stdout, result.stderr, sep="\n")
        print("pip-audit did not produce a report.")
        return 1
    dependencies = report["dependencies"]
    scanned = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in scanned if d.get("vulns")]
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: "
                f"{vulnerability['id']} (fixed in {fixed})"
            )
    print(
        f"pip-audit scanned {len(scanned)} of {len(dependencies)} installed packages; "
        f"{len(vulnerable)} with known vulnerabilities."
    )
    if len(scanned) < len(dependencies):
        print(
            f"{len(dependencies) - len(scanned)} could not be scanned: PyPI's advisories for "
            "their releases were not reachable from this machine. This is not a clean scan."
        )
        behind = []
        for name, version in sorted(locked().items()):
            latest = newest(name)
            if latest and latest != version:
                behind.append(f"{name} {version} (newest {latest})")
        print("Locked packages with newer releases:", ", ".join(behind) or "none")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
