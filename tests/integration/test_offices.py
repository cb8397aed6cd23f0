"""Offices in a hierarchy on one platform (sync_server/platform), over a real server on 127.0.0.1.

A province (the platform's own office, at the root paths), a city and two counties below it, each
with its own seeded database (offices/<code>.db), recorded with the real CLI (`office add`). The
cross-office matrix: for every pair (actor office, target office) and every kind of credential
(a tablet's device token, a console session of each role, the admin token), every route of the
app's own table is called on the target with the actor's credential: every route that refuses a
caller without credentials must answer it exactly as it answers a made-up credential of that kind
(the sign-in page, 401/403) — never data, never a change (each target's tables are
counted before and after). The one thing a parent office sees of its offices is their progress,
on its own console's 下级机构 page, checked here against each county's own yearly report.

On SQLite each office below the root is a file (offices/<code>.db); on PostgreSQL a schema
(`office_<code>`) of the platform's one database, into which the seeded county's tables are
restored (`place`), so the same walk runs on both engines.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.routing import Route

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas.enrollment_link import parse as parse_link
from sync_server.app import routes
from sync_server.cli import main as cli
from sync_server.db.connection import office_target, open_db
from sync_server.reports import service as reports
from sync_server.reports.core.report import Period
from tests.integration.conftest import FAST_RETRY, County, _seeded_once
from tests.support.office import ADMIN, AUDITOR, CLERK, signed_in
from tests.support import engine, postgres
from tests.support.engine import Target
from tests.support.server import ServerProcess

PROVINCE, CITY, COUNTY_A, COUNTY_B = "370000", "370100", "370102", "370103"
NAMES = {PROVINCE: "山东省卫生健康委员会", CITY: "济南市卫生健康委员会", COUNTY_A: "历下区卫生健康局",
         COUNTY_B: "市中区卫生健康局"}
ROLES = {"admin": ADMIN, "clerk": CLERK, "auditor": AUDITOR}
SESSION = "suijian_office"


@pytest.fixture(scope="module")
def offices(tmp_path_factory: pytest.TempPathFactory, county_template: County, history_template: County) -> dict:
    """The platform's files: the province on the seeded county's copy, the city and county B on their
    own smaller seeds, county A on the seeded county with its year (published results)."""
    city = _seeded_once(tmp_path_factory, "office-city", units=120, inspectors=14, history=False, seed_value=3701)
    county_b = _seeded_once(tmp_path_factory, "office-b", units=150, inspectors=14, seed_value=3702)
    folder = tmp_path_factory.mktemp("platform")
    root = engine.new_target(folder / "server.db", template=_template_name(county_template), for_the_run=True)
    seeded = {PROVINCE: county_template, CITY: city, COUNTY_A: history_template, COUNTY_B: county_b}
    if not engine.ON_POSTGRES:   # on PostgreSQL the root database is already a copy of the template
        shutil.copy(county_template.db, root)
    for code, county in seeded.items():
        if code != PROVINCE:
            place(county, root, code)
        photos = engine.photos_of(county.db)
        if photos.is_dir():   # the platform's photo store is one content-addressed directory
            shutil.copytree(photos, engine.photos_of(root), dirs_exist_ok=True)
    assert cli(["office", "add", "--db", str(root), "--code", PROVINCE, "--name", NAMES[PROVINCE],
                "--level", "province"]) == 0
    for code, parent, level in ((CITY, PROVINCE, "city"), (COUNTY_A, CITY, "county"), (COUNTY_B, CITY, "county")):
        assert cli(["office", "add", "--db", str(root), "--code", code, "--name", NAMES[code], "--level", level,
                    "--parent", parent]) == 0
    return {"db": root, "tokens": {code: county.admin_token for code, county in seeded.items()},
            "inspectors": {code: county.inspector for code, county in seeded.items()}}


def _template_name(county: County) -> str | None:
    return engine.database_of(county.db) if engine.ON_POSTGRES else None


def place(county: County, root: Target, code: str) -> None:
    """Put a seeded county's data where the platform keeps office `code`'s, before `office add`
    records it (which migrates what is there): on SQLite a copy of its file; on PostgreSQL its
    template database's tables restored into the schema `office_<code>` of the platform's database
    (renamed in a scratch copy, then pg_dump | psql)."""
    if not engine.ON_POSTGRES:
        target = Path(office_target(root, code))
        target.parent.mkdir(exist_ok=True)
        shutil.copy(county.db, target)
        return
    cluster = postgres.cluster()
    scratch = cluster.create_database(template=engine.database_of(county.db))
    try:
        cluster.psql(f'ALTER SCHEMA public RENAME TO "office_{code}"', database=scratch)
        dump = subprocess.run([f"{cluster.bin}/pg_dump", "--no-owner", "-n", f"office_{code}", "-d", cluster.url(scratch)],
                              capture_output=True, check=True)
        subprocess.run([f"{cluster.bin}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", str(root)],
                       input=dump.stdout, capture_output=True, check=True)
    finally:
        cluster.drop_database(scratch)


@pytest.fixture(scope="module")
def platform(offices: dict) -> Iterator[ServerProcess]:
    proc = ServerProcess(offices["db"]).start()
    yield proc
    proc.stop()


def base(platform: ServerProcess, code: str) -> str:
    return platform.url.rstrip("/") + ("" if code == PROVINCE else f"/o/{code}")


def prefix(code: str) -> str:
    return "" if code == PROVINCE else f"/o/{code}"


def office_file(offices: dict, code: str) -> Target:
    return office_target(offices["db"], None if code == PROVINCE else code)


def read(target: Target, sql: str, *args: object) -> list[tuple]:
    return [tuple(row) for row in engine.rows(target, sql, *args)]


TABLES = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
          "postgresql": "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                        " AND table_type = 'BASE TABLE'"}


def office_exists(offices: dict, code: str) -> bool:
    if not engine.ON_POSTGRES:
        return Path(office_target(offices["db"], code)).exists()
    return read(offices["db"], "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?",
                f"office_{code}") == [(1,)]


def fingerprint(path: Target) -> dict[str, int]:
    """Rows in every table of an office's database (the sign-in throttle's failures excepted: a refused
    credential may be counted there, by design)."""
    tables = [name for (name,) in read(path, TABLES[engine.ENGINE])]
    return {t: read(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables if "throttle" not in t and "failure" not in t}


def test_the_cli_records_the_offices_and_lists_them(offices: dict, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["office", "list", "--db", str(offices["db"])]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(row[0], row[1], row[4], row[5]) for row in lines] == [
        (PROVINCE, NAMES[PROVINCE], "-", "/"), (CITY, NAMES[CITY], PROVINCE, f"/o/{CITY}/"),
        (COUNTY_A, NAMES[COUNTY_A], CITY, f"/o/{COUNTY_A}/"), (COUNTY_B, NAMES[COUNTY_B], CITY, f"/o/{COUNTY_B}/")]
    for code in NAMES:   # each office's own database carries its own name and region
        assert read(office_file(offices, code), "SELECT value FROM meta WHERE key = 'body_name'") == [(NAMES[code],)]
        assert read(office_file(offices, code), "SELECT value FROM meta WHERE key = 'region_code'") == [(code,)]
    assert cli(["office", "add", "--db", str(offices["db"]), "--code", "410102", "--name", "中原区卫生健康委员会",
                "--level", "county", "--parent", CITY]) == 1
    assert "不在上级机构" in capsys.readouterr().err
    assert cli(["office", "--db", str(offices["db"]), "--office", "370104"]) == 1
    assert "本平台没有下级机构 370104" in capsys.readouterr().err
    assert not office_exists(offices, "410102")


def test_the_office_option_points_a_command_at_that_offices_database(offices: dict, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p").mkdir()
    root = engine.new_target(tmp_path / "p" / "server.db")
    assert cli(["office", "add", "--db", str(root), "--code", "440000", "--name", "广东省卫生健康委员会",
                "--level", "province"]) == 0
    assert cli(["office", "add", "--db", str(root), "--code", "440100", "--name", "广州市卫生健康委员会",
                "--level", "city", "--parent", "440000"]) == 0
    capsys.readouterr()
    assert cli(["create-user", "--db", str(root), "--office", "440100", "--id", "4401-0001", "--name", "林检查",
                "--role", "inspector"]) == 0
    assert read(office_target(root, "440100"), "SELECT name FROM users WHERE id = '4401-0001'") == [("林检查",)]
    assert read(root, "SELECT count(*) FROM users WHERE id = '4401-0001'") == [(0,)]


def test_an_unknown_office_is_a_404_in_chinese(platform: ServerProcess) -> None:
    for path in ("/o/370104/public/results", "/o/370104/v1/me", "/o/370104/office", "/o/%2e%2e/v1/me"):
        reply = httpx.get(platform.url.rstrip("/") + path)
        assert reply.status_code == 404, path
        assert "没有该机构" in reply.text or "没有该" in reply.text, path
    reply = httpx.get(platform.url.rstrip("/") + "/o/370104/v1/me")
    assert reply.json()["code"] == "office.unknown" and "机构代码" in reply.json()["message_zh"]
    reply = httpx.get(base(platform, COUNTY_A), follow_redirects=False)
    assert reply.status_code == 308 and reply.headers["location"] == f"/o/{COUNTY_A}/"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "action", "src", "formaction") and value]


def links_in(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found


def crawl(client: httpx.Client, code: str, starts: list[str], limit: int = 150) -> dict[str, list[str]]:
    """Every page reachable by GET links from `starts`, within the office's prefix: {path: links}."""
    seen: dict[str, list[str]] = {}
    queue = [prefix(code) + s for s in starts]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        reply = client.get(path)
        assert reply.status_code != 500, path
        found = links_in(reply.text) if reply.headers.get("content-type", "").startswith("text/html") else []
        seen[path] = found
        for link in found:
            target = urlsplit(link)
            if not target.scheme and target.path.startswith("/") and "logout" not in target.path:
                clean = target.path + (f"?{target.query}" if target.query and "page=" not in target.query else "")
                if clean.startswith(prefix(code) + "/") and not clean.endswith((".pdf", ".xlsx", ".json", ".css", ".js",
                                                                                ".csv", ".png", ".jpg")):
                    queue.append(clean)
    return seen


@pytest.mark.parametrize("code", [CITY, COUNTY_A])
def test_every_page_of_an_office_links_only_under_its_prefix(platform: ServerProcess, code: str) -> None:
    """Public pages and every console page an admin reaches: each link, form and asset stays under
    /o/<code>/ (a page's own anchors and queries aside); a parent's page may link to its offices' public sites."""
    below = {CITY: (COUNTY_A, COUNTY_B)}.get(code, ())
    with httpx.Client(base_url=platform.url, timeout=30) as public:
        pages = crawl(public, code, ["/", "/public/results", "/public/reports", "/public/plans", "/public/items",
                                     "/public/verify"])
    with signed_in(base(platform, code), ADMIN) as web:
        web.base_url = httpx.URL(platform.url)
        pages |= crawl(web, code, ["/office"])
    assert len(pages) > 40, sorted(pages)
    leaving = {(page, link) for page, links in pages.items() for link in links
               if link.startswith("/") and not link.startswith(prefix(code) + "/")
               and not any(link.startswith(f"/o/{child}/public/") for child in below)}
    assert not leaving, sorted(leaving)[:20]


def credentials(platform: ServerProcess, offices: dict, code: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    """One of each kind at an office: a tablet's device token (enrolled through its own path), a
    console session of each role, the admin token — each proven to work at its own office."""
    url = base(platform, code)
    admin = {"Authorization": f"Bearer {offices['tokens'][code]}"}
    made = httpx.post(f"{url}/v1/admin/users/{offices['inspectors'][code]}/enrollment-codes", headers=admin)
    assert made.status_code == 201, made.text
    tablet = SyncClient(url, LocalStore(tmp_path / code / "app.db"), KeyStore(tmp_path / code / "keys"), retry=FAST_RETRY)
    tablet.enroll(made.json()["code"], f"平板 {code}")
    device = {"Authorization": f"Bearer {tablet.keys.credentials()['token']}"}
    tablet.close()
    tablet.store.close()
    creds = {"device": device, "admin-token": admin}
    assert httpx.get(f"{url}/v1/me", headers=device).status_code == 200
    for role, username in ROLES.items():
        with signed_in(url, username) as web:
            session = web.cookies.get(SESSION)
            assert session and web.get("/office").status_code == 200
        creds[f"session-{role}"] = {"Cookie": f"{SESSION}={session}"}
    return creds


CONSOLE = ("/office", "/witness")


def walk(platform: ServerProcess, code: str, headers: dict[str, str] | None, console: bool | None = None,
         only: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple]:
    """Every route of the app's own table on an office (console=True: only the console's, which read a
    session; False: only the others, which read a token), with these headers: (method, path) → reply."""
    found = {}
    with httpx.Client(base_url=platform.url, timeout=30, headers={"Origin": platform.url.rstrip("/")}) as client:
        for route in routes():
            if not isinstance(route, Route) or console is not None and route.path.startswith(CONSOLE) != console:
                continue
            path = prefix(code) + re.sub(r"\{[^}]+\}", "zz-unknown", route.path)
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                if only is not None and (method, path) not in only:
                    continue
                reply = client.request(method, path, headers=headers or {},
                                       content=b"{}" if method in ("POST", "PUT") else None)
                assert reply.status_code != 500, f"{method} {path}: 500"
                found[(method, path)] = (reply.status_code, reply.headers.get("location", ""), len(reply.content)
                                         if reply.status_code < 400 else 0)
    return found


def test_the_cross_office_matrix(platform: ServerProcess, offices: dict, tmp_path: Path) -> None:
    """A console session is walked over the console's routes (the only ones that read it), a token
    over all the others (the API and the public pages). Every actor's device token and admin token
    go to every other office; its three roles' sessions take turns over the three other offices, so
    that each pair meets a session and each role of each office meets another office."""
    creds = {code: credentials(platform, offices, code, tmp_path) for code in NAMES}
    made_up = {"device": {"Authorization": "Bearer dev_made-up-token-of-no-office"},
               "admin-token": {"Authorization": "Bearer adm_made-up-token-of-no-office"},
               "session": {"Cookie": f"{SESSION}=made-up-session-of-no-office"}}
    unknown = {(code, kind): walk(platform, code, headers, console=kind == "session")
               for code in NAMES for kind, headers in made_up.items()}
    guarded = {code: {key for kind in made_up for key, (status, location, _) in unknown[(code, kind)].items()
                      if status in (401, 403) or (status == 303 and "/office/login" in location)} for code in NAMES}
    assert all(len(keys) > 90 for keys in guarded.values()), {c: len(k) for c, k in guarded.items()}
    turns = {actor: iter(ROLES) for actor in NAMES}
    for target in NAMES:
        before = fingerprint(office_file(offices, target))
        for actor in NAMES:
            if actor == target:
                continue
            kinds = ["device", "admin-token", f"session-{next(turns[actor])}"]
            for kind in kinds:
                family = "session" if kind.startswith("session") else kind
                replies = walk(platform, target, creds[actor][kind], console=family == "session", only=guarded[target])
                for key, (status, location, _) in replies.items():
                    expected = unknown[(target, family)][key][:2]
                    assert status not in range(200, 300), f"{kind} of {actor} read {key} of {target}: {status}"
                    assert (status, location) == expected, \
                        f"{kind} of {actor} at {target} {key}: {status} {location}, not as a made-up one's {expected}"
        assert fingerprint(office_file(offices, target)) == before, f"{target} changed under other offices' credentials"
    assert all(next(turn, None) is None for turn in turns.values())   # every role of every office took its turn


def test_a_tablet_enrolled_by_an_office_syncs_with_that_office(platform: ServerProcess, offices: dict,
                                                                tmp_path: Path) -> None:
    """The enrollment link an office's console shows names the office's own base URL; a tablet enrolled
    with it reads that office's assignments, and its token means nothing at the root."""
    with signed_in(base(platform, COUNTY_B), ADMIN) as web:
        page = web.post_form(f"/office/devices/officers/{offices['inspectors'][COUNTY_B]}/enrollment-code")
        assert page.status_code == 201, page.text[:300]
        link = parse_link(re.search(r'<code class="link">([^<]+)</code>', page.text).group(1).replace("&amp;", "&"))
    assert link.server == base(platform, COUNTY_B)
    tablet = SyncClient(link.server, LocalStore(tmp_path / "t" / "app.db"), KeyStore(tmp_path / "t" / "keys"),
                        retry=FAST_RETRY)
    try:
        tablet.enroll(link.code, "县B平板")
        token = {"Authorization": f"Bearer {tablet.keys.credentials()['token']}"}
        me = httpx.get(f"{link.server}/v1/me", headers=token)
        assert me.status_code == 200 and me.json()["user"]["id"] == offices["inspectors"][COUNTY_B]
        feed = httpx.get(f"{link.server}/v1/feed", headers=token).json()
        text = repr(feed["items"])
        own = {u for (u,) in read(office_file(offices, COUNTY_B), "SELECT id FROM units")}
        others = {u for (u,) in read(office_file(offices, COUNTY_A), "SELECT id FROM units")} - own
        assert feed["items"] and any(u in text for u in own) and not any(u in text for u in others)
        assert httpx.get(f"{base(platform, PROVINCE)}/v1/me", headers=token).status_code == 401
    finally:
        tablet.close()
        tablet.store.close()


def published_names(offices: dict, code: str) -> set[str]:
    return {name for (name,) in read(office_file(offices, code),
                                     "SELECT unit_name FROM disclosures WHERE first_published_on IS NOT NULL")}


def test_an_offices_public_list_shows_only_its_own_results(platform: ServerProcess, offices: dict) -> None:
    a, b = published_names(offices, COUNTY_A), published_names(offices, COUNTY_B)
    b_units = {name for (name,) in read(office_file(offices, COUNTY_B), "SELECT name FROM units")}
    only_a = a - b_units
    assert a and b and only_a
    shown_b = "".join(httpx.get(f"{base(platform, COUNTY_B)}/public/results", params={"page": n}).text
                      for n in range(1, 4))
    assert NAMES[COUNTY_B] in shown_b and NAMES[COUNTY_A] not in shown_b
    assert any(name in shown_b for name in b)
    assert not [name for name in only_a if name in shown_b]
    for name in sorted(only_a)[:5]:   # searching B's list by a name of A's finds nothing
        found = httpx.get(f"{base(platform, COUNTY_B)}/public/results", params={"q": name})
        assert found.status_code == 200 and name not in found.text.split("</form>", 1)[-1]


def test_a_parent_sees_each_of_its_offices_progress_read_only(platform: ServerProcess, offices: dict) -> None:
    """The city's 下级机构 page: one row per county, each with that county's own yearly figures (its
    own 统计报告, read in its own console); the counties see no such page of the city's."""
    with signed_in(base(platform, CITY), AUDITOR) as web:
        page = web.get("/office/offices?year=2026")
        assert page.status_code == 200
        rows = {code: cells(page.text, code) for code in (COUNTY_A, COUNTY_B)}
        assert "新增下级机构" not in page.text   # only the platform's own office records offices
    for code in (COUNTY_A, COUNTY_B):   # each row is that county's own yearly report, read from its own file
        conn = open_db(office_file(offices, code))
        try:
            total = reports.assemble(conn, Period(2026)).report.total.counts
        finally:
            conn.close()
        assert rows[code] == [total.draws, total.drawn, total.inspected, *total.categories, total.on_time,
                              total.late, total.overdue], code
        assert total.drawn > 0
    assert rows[COUNTY_A] != rows[COUNTY_B]
    with signed_in(base(platform, COUNTY_A), ADMIN) as web:
        assert "下级机构" not in web.get("/office").text
        assert web.get("/office/offices").text.count("data-office=") == 0


def cells(html: str, code: str) -> list[int]:
    row = re.search(rf'<tr data-office="{code}">(.*?)</tr>', html, re.S).group(1)
    return [int(v) for v in re.findall(r"<td>(?:<span[^>]*>)?(\d+)(?:</span>)?</td>", row)]


def test_the_platforms_admin_records_an_office_from_the_console(platform: ServerProcess, offices: dict) -> None:
    with signed_in(platform.url, ADMIN) as web:
        page = web.get("/office/offices")
        assert all(f'data-office="{code}"' in page.text for code in (CITY, COUNTY_A, COUNTY_B))
        refused = web.post_form("/office/offices", {"code": "370104", "name": "槐荫区卫生健康局", "level": "city",
                                                    "parent": CITY, "kind": "commission"})
        assert refused.status_code == 400 and "属于县级" in refused.text
        made = web.post_form("/office/offices", {"code": "370104", "name": "槐荫区卫生健康局", "level": "county",
                                                 "parent": CITY, "kind": "commission"}, follow_redirects=False)
        assert made.status_code == 303 and made.headers["location"].startswith("/office/offices?done=")
    home = httpx.get(f"{platform.url.rstrip('/')}/o/370104/public/results")
    assert home.status_code == 200 and "槐荫区卫生健康局" in home.text
    assert read(offices["db"], "SELECT parent, level FROM offices WHERE code = '370104'") == [(CITY, "county")]
    with signed_in(base(platform, COUNTY_A), ADMIN) as web:   # an office below records nothing
        reply = web.post_form("/office/offices", {"code": "370105", "name": "天桥区卫生健康局", "level": "county",
                                                  "parent": CITY})
        assert reply.status_code == 403
    assert read(offices["db"], "SELECT count(*) FROM offices WHERE code = '370105'") == [(0,)]
