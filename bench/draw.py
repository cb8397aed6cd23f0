"""The draw at scale: 1,000,000 units in 5 strata selecting 30,000, 200 inspectors.
Each step runs in its own process, so its time and peak memory are its own."""
from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.common import median
from schemas.jcs import canonicalize
from tests.support.server import ROOT

UNITS, STRATA, SELECT, INSPECTORS, ROUNDS = 1_000_000, 5, 30_000, 200, 3
SPECIALTIES = ("public_places", "medical", "school", "drinking_water", "occupational")


def make_files(directory: Path, seed: int = 1) -> tuple[Path, Path]:
    rng = random.Random(seed)
    names = [f"层{k + 1}" for k in range(STRATA)]
    units = sorted(({"id": f"91369921{n:09d}X", "stratum": names[n % STRATA], "risk": rng.choice("AAAABBBCCD")}
                    for n in range(UNITS)), key=lambda u: u["id"])
    inspectors = [{"id": f"3699212{n:05d}", "specialties": sorted(rng.sample(SPECIALTIES, 2)) + ["public_places"]
                   if n % 3 else ["public_places"], "load": rng.randrange(0, 40)} for n in range(INSPECTORS)]
    for person in inspectors:
        person["specialties"] = sorted(set(person["specialties"]))
    nonce = bytes(range(32))
    announcement = {"algo": "ssj-draw-v1", "task": "基准〔2026〕1号", "announced_at": "2026-11-01T00:00:00Z",
                    "strata": [{"name": name, "n": SELECT // STRATA} for name in names],
                    "risk_weights": {"A": 1, "B": 2, "C": 4, "D": 8}, "team_size": 2, "specialty": "public_places",
                    "units": units, "inspectors": inspectors,
                    "exclusions": [{"inspector": inspectors[0]["id"], "unit": units[5]["id"], "reason": "recusal"}],
                    "commitments": [hashlib.sha256(nonce).hexdigest()], "beacon": "基准测试",
                    "beacon_at": "2026-11-04T13:15:00Z"}
    body = canonicalize(announcement)
    reveal = {"announcement_hash": hashlib.sha256(body).hexdigest(), "beacon_value": "42", "nonces": [nonce.hex()]}
    (directory / "announcement.json").write_bytes(body)
    (directory / "reveal.json").write_bytes(canonicalize(reveal))
    return directory / "announcement.json", directory / "reveal.json"


DRAW_ONE = """
import json, resource, sys, time
from schemas.jcs import canonicalize
from sync_server.planning.core.draw import run_draw
a = json.loads(open(sys.argv[1], "rb").read()); r = json.loads(open(sys.argv[2], "rb").read())
start = time.perf_counter(); result = run_draw(a, r); seconds = time.perf_counter() - start
open(sys.argv[3], "wb").write(canonicalize(result))
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(workdir: Path, county: object = None) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    announcement, reveal = make_files(workdir)
    result = workdir / "result.json"
    draws, rss, verifies = [], [], []
    for _ in range(ROUNDS):
        out = subprocess.run([sys.executable, "-c", DRAW_ONE, str(announcement), str(reveal), str(result)],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout)
        draws.append(figures["seconds"])
        rss.append(figures["peak_rss_mb"])
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "verifier" / "ssj_verify.py"), str(announcement), str(reveal),
                        str(result)], check=True, capture_output=True)
        verifies.append(time.perf_counter() - start)
    return {"draw_1m_s": round(median(draws), 2), "draw_1m_peak_rss_mb": round(median(rss)),
            "verify_1m_s": round(median(verifies), 2),
            "draw_1m_announcement_mb": round(announcement.stat().st_size / 1e6, 1)}
