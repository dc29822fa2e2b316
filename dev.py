#!/usr/bin/env python3
"""Set up and run nianbao with nothing but Python (3.11+): ``python3 dev.py run`` or ``python3 dev.py test``.

    run     make .venv, install nianbao, serve the API on 127.0.0.1:8000 with the rules backend (no key)
    test    make .venv, install nianbao with its dev tools, then ruff, mypy, pytest and the eval gates
    eval    score the extractor on the labelled samples (extra arguments go to ``python -m eval``)
    bench   time the deterministic pipeline (extra arguments go to bench/bench.py)

``test`` also needs system packages (nginx, redis-server, LibreOffice, Chromium, poppler, CJK fonts: see
SYSTEM_PACKAGES) for the gateway, shared-cache, document and browser tests. When they are missing
and the machine has apt-get and root, it installs them from Debian's packages; otherwise those tests are
skipped (``NIANBAO_REQUIRE_SYSTEM_TESTS=1``, which CI sets, turns the skip into a failure).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
# binary (or a path) -> Debian package: the gateway and shared-cache tests need nginx and redis-server; the
# document tests make PDFs with LibreOffice and Chromium (with CJK fonts) and read them with poppler; the
# review page's browser tests drive Chromium through chromedriver.
SYSTEM_PACKAGES = {"nginx": "nginx", "redis-server": "redis-server", "soffice": "libreoffice-writer-nogui",
                   "chromium": "chromium", "chromedriver": "chromium-driver", "pdftotext": "poppler-utils",
                   "/usr/share/fonts/opentype/noto": "fonts-noto-cjk"}
# The eval gate `test` enforces: thresholds set to what the committed cases reach.
EVAL_GATE = ["--min-cells", "1.0", "--min-facts-f1", "1.0", "--min-problems-f1", "1.0",
             "--baseline", "eval/baseline.json", "--fail-on-worse"]
# The corpus split (eval/corpus/: narrative only, shapes of real reports): facts and problems at the level
# reached, and no field worse than its own baseline.
CORPUS_GATE = ["--split", "corpus", "--min-facts-f1", "0.99", "--min-problems-f1", "0.99",
               "--baseline", "eval/corpus/baseline.json", "--fail-on-worse"]


def sh(*cmd: str | Path, check: bool = True) -> int:
    """Run a command in the project root, echoing it; exit with its status when it fails."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if check and code:
        sys.exit(code)
    return code


def ensure_venv(extra: str = "") -> None:
    """Create .venv and install the project (with ``extra``), again only when pyproject.toml changed."""
    if not PY.exists():
        try:
            venv.create(VENV, with_pip=True)
        except (subprocess.CalledProcessError, OSError):  # python3 without ensurepip (Debian): borrow pip
            shutil.rmtree(VENV, ignore_errors=True)
            venv.create(VENV, with_pip=False)
            sh(sys.executable, "-m", "pip", "--python", PY, "install", "--quiet", "pip")
    stamp = VENV / f".installed{extra}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    sh(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extra}")
    stamp.write_text(digest)


def ensure_system_packages() -> None:
    """Install nginx and redis-server from Debian's packages when missing and allowed (root + apt-get)."""
    missing = [pkg for binary, pkg in SYSTEM_PACKAGES.items()
               if not (shutil.which(binary) or Path(f"/usr/sbin/{binary}").exists() or Path(binary).is_absolute()
                       and Path(binary).exists())]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print("+ apt-get install", *missing, flush=True)
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
    else:
        print(f"note: {', '.join(missing)} not installed and cannot be (needs root and apt-get); "
              "the tests that need them will be skipped", flush=True)


def main(argv: list[str]) -> None:
    """Dispatch ``run``, ``test``, ``eval`` or ``bench``."""
    task, args = (argv[0], argv[1:]) if argv else ("", [])
    if task == "run":
        ensure_venv()
        os.execv(PY, [str(PY), "-m", "service.cli", "serve", "--host", os.environ.get("HOST", "127.0.0.1"),
                      "--port", os.environ.get("PORT", "8000"), "--backend", "rules", *args])
    elif task == "test":
        ensure_venv("[dev]")
        ensure_system_packages()
        sh(PY, "-m", "ruff", "check", ".")
        sh(PY, "-m", "mypy")  # strict, on service/ and schemas/ (pyproject.toml)
        sh(PY, "-m", "pytest", *args)
        sh(PY, "-m", "eval", *EVAL_GATE)
        sh(PY, "-m", "eval", *CORPUS_GATE)
    elif task == "eval":
        ensure_venv()
        sh(PY, "-m", "eval", *args)
    elif task == "bench":
        ensure_venv()
        sh(PY, "bench/bench.py", *args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
