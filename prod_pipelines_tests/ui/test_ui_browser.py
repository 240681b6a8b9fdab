"""The Dagster UI, clicked through in a real headless Chromium, after a fresh `make run`.

`make run` is run as the README says, narrowed to the ten days ending yesterday at a small scale
(its RUN_START / RUN_SCALE knobs) to keep the test short. Then what a user does in the README's
"The Dagster UI" section, checked twice: on the page (what they see) and in the instance's run
storage (what really happened). Needs Debian's `chromium` and the
`playwright` Python package (its driver only: no browser download). Screenshots land in
`artifacts/screenshots/` (and the README's `docs/img/lineage.png` when missing or when
UPDATE_DOCS_SCREENSHOTS=1). Each test launches at most one run and checks only that run.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from prod_pipelines.delivery.guard import APPROVE_TAG
from prod_pipelines.ops.runner import HOST_TAG
from prod_pipelines.settings import REPO_ROOT, START_DATE_VAR
from prod_pipelines_tests.support.ui_server import UiServer, dagster_ui, graphql

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
DOCS_IMAGES = REPO_ROOT / "docs" / "img"
# The README's steps, literally: the data ends yesterday, as the demo's does (`make run`).
END = date.today() - timedelta(days=1)
START = END - timedelta(days=9)
ONE_PARTITION = END.isoformat()  # "type yesterday's date"
RANGE = (END - timedelta(days=6), END)  # "the seven days ending yesterday"
RUN_TIMEOUT = 600  # seconds: two cores, and dbt alone takes ~30 s
TERMINAL_RUN = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
NAMED_KEYS = ["raw/stores", "raw/products", "raw/orders", "raw/inventory", "marts/top_items_not_carried",
              "destinations/retailer_app", "destinations/salesforce", "destinations/crm_email"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium through Playwright's driver. Missing in CI is a failure; elsewhere a skip."""
    missing = None if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = missing or "the playwright package is missing (pip install playwright)"
    if missing:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"browser tests need Chromium: {missing}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def made_run(tmp_path_factory) -> Path:
    """The data dir of a fresh `make run` (seed, then backfill up to yesterday)."""
    data_dir = tmp_path_factory.mktemp("ui_data")
    env = {**os.environ, START_DATE_VAR: START.isoformat()}
    # `-o`: make test has installed the project; the recipe of `run` is what is tested, not a reinstall.
    done = subprocess.run(["make", "-o", ".venv/bin/prod-pipelines", "run", f"DATA_DIR={data_dir}",
                           f"RUN_START={START}", "RUN_SCALE=0.02"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, f"make run failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return data_dir


@pytest.fixture(scope="module")
def ui(browser, made_run) -> Iterator[UiServer]:
    with dagster_ui(made_run, START) as server:
        graphql(server.url, "mutation { setNuxSeen }")  # no newsletter dialog over the first page
        yield server


@pytest.fixture
def page(browser, request) -> Iterator:
    context = browser.new_context(viewport={"width": 1920, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    screenshot(page, f"{request.node.name}.last")  # what the page showed at the end, pass or fail
    context.close()


def screenshot(page, name: str, *, also: Path | None = None) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if also is not None:
        also.parent.mkdir(parents=True, exist_ok=True)
        also.write_bytes(path.read_bytes())
    return path


def doc_image(name: str) -> Path | None:
    """`docs/img/<name>.png`, which the README shows: written when missing or UPDATE_DOCS_SCREENSHOTS=1."""
    path = DOCS_IMAGES / f"{name}.png"
    return path if not path.exists() or os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else None


def label_shows(label: str, name: str) -> bool:
    """Graph nodes shorten long names in the middle: `exp_sale…endations`."""
    head, sep, tail = label.partition("…")
    return label == name or bool(sep) and name.startswith(head) and name.endswith(tail) and len(name) > len(label)


def open_materialize_dialog(page, ui: UiServer, partitions: str):
    """Job `pipeline` → Materialize all… → type the partitions into the partition picker."""
    page.goto(f"{ui.url}/locations/prod_pipelines/jobs/pipeline")
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    picker = dialog.get_by_role("textbox").first
    picker.wait_for()
    picker.fill(partitions)  # no "Show all partitions" first: the demo's days are the picker's recent ones
    picker.press("Enter")
    return dialog


def follow_launch_toast(page, text: str) -> str:
    """Clicks *View* on the toast the launch raised; returns the id at the end of its link."""
    toast = page.get_by_role("region", name=re.compile("Notifications")).get_by_role("listitem").filter(has_text=text)
    link = toast.get_by_role("link", name="View")
    href = link.get_attribute("href")
    link.click()
    return href.rstrip("/").rsplit("/", 1)[-1]


def pick_partition(page, day: str) -> None:
    """Clicks a day in a check's partition list (the timeline above it labels its last day the same)."""
    page.get_by_placeholder("Filter by partition…").fill(day)
    page.get_by_text(day, exact=True).filter(visible=True).last.click()


def instance_for(ui: UiServer) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(ui.dagster_home))


def failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The step failures of a run, for an assertion message that says why."""
    events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE})
    errors = [(e, getattr(e.dagster_event.event_specific_data, "error", None)) for e in events]
    return [f"{e.step_key or 'run'}: {error.message.strip() if error else e.message}" for e, error in errors]


def wait_for(condition, what: str, timeout: float = RUN_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def test_the_global_lineage_page_shows_every_layer_from_raw_feeds_to_destinations(page, ui):
    from prod_pipelines.definitions import defs

    expected = {key.to_user_string() for key in defs().resolve_asset_graph().get_all_asset_keys()}
    assert set(NAMED_KEYS) <= expected
    page.goto(f"{ui.url}/asset-groups")
    page.get_by_role("button", name="settings", exact=True).click()
    page.get_by_role("menuitem", name="Expand all groups").click()
    page.keyboard.press("Escape")
    page.get_by_text("stg_inventory", exact=True).first.wait_for()
    for _ in range(3):  # the graph opens zoomed on its middle: zoom out until every layer is on screen
        page.get_by_role("button", name="zoom_out").click()
    page.wait_for_timeout(1000)
    labels = page.locator("svg foreignObject").evaluate_all("nodes => nodes.map(n => n.textContent.trim())")
    for key in sorted(expected):
        group, name = key.split("/")
        assert group in labels, f"group {group} is not drawn in the lineage graph"
        assert any(label_shows(label, name) for label in labels), f"{key} is not drawn in the lineage graph: {labels}"
    carets = page.get_by_role("button", name=re.compile(r"^asset_group ")).locator("xpath=preceding::button[1]")
    for i in reversed(range(carets.count())):  # bottom-up, so opening a group does not shift the next caret
        carets.nth(i).click()
    for key in sorted(expected):  # the sidebar lists full names (its title attribute) under each group
        page.get_by_title(key.split("/")[1], exact=True).first.wait_for(timeout=10_000)
    screenshot(page, "lineage")
    # The README's picture: no navigation, no sidebar, and large enough to draw full asset nodes.
    page.get_by_role("button", name=re.compile("Hide navigation")).click()
    page.set_viewport_size({"width": 2300, "height": 1560})
    page.reload()
    page.locator("svg foreignObject").filter(has_text="day_verdicts").first.wait_for()
    page.get_by_role("button", name="panel_show_right", exact=True).click()  # folds the sidebar
    page.set_viewport_size({"width": 2300, "height": 1559})  # a resize re-fits the graph to the space
    page.wait_for_timeout(1500)
    for _ in range(5):  # the fit centres on the middle layers: zoom out so raw and destinations show too
        page.get_by_role("button", name="zoom_out").click()
    page.wait_for_timeout(1000)
    screenshot(page, "lineage-graph", also=doc_image("lineage"))


def test_the_runs_of_make_run_are_listed_under_the_pipeline_job(page, ui):
    """Jobs → pipeline → Runs lists what `make run` did: CLI runs are runs of the code location's job."""
    instance = instance_for(ui)
    made = [run for run in instance.get_runs() if HOST_TAG in run.tags]  # the CLI runner's runs
    assert made and all(run.job_name == "pipeline" for run in made), [(r.run_id, r.job_name) for r in made]
    page.goto(f"{ui.url}/locations/prod_pipelines/jobs/pipeline/runs")
    for run in made:
        page.get_by_role("link", name=f"run {run.run_id[:8]}").first.wait_for()
    assert not page.get_by_text("No runs found").is_visible()
    screenshot(page, "make-run-under-the-job")


def test_one_partition_of_the_pipeline_materializes_from_the_ui(page, ui):
    dialog = open_materialize_dialog(page, ui, ONE_PARTITION)
    dialog.get_by_text("1 partition", exact=True).wait_for()
    screenshot(page, "materialize-one-partition", also=doc_image("materialize-one-partition"))
    dialog.get_by_role("button", name="Launch 1 run").click()
    run_id = follow_launch_toast(page, "Launched run")

    instance = instance_for(ui)
    run = wait_for(lambda: (r := instance.get_run_by_id(run_id)) and r.status in TERMINAL_RUN and r, f"run {run_id}")
    assert run.status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {run.status}: {failures(instance, run_id)}"
    page.get_by_role("img", name="run_success").first.wait_for(timeout=120_000)
    assert page.get_by_text("Success", exact=True).first.is_visible()
    screenshot(page, "run-success")
    assert run.job_name == "pipeline" and run.tags["dagster/partition"] == ONE_PARTITION
    assert ONE_PARTITION in instance.get_materialized_partitions(dg.AssetKey(["marts", "top_items_not_carried"]))


def test_a_seven_day_backfill_from_the_ui_runs_as_one_run(page, ui):
    first, last = RANGE
    days = {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}
    dialog = open_materialize_dialog(page, ui, f"[{first}...{last}]")
    dialog.get_by_text(f"{len(days)} partitions", exact=True).wait_for()
    # Recomputing history changes the newest partition a lot: the operator approves that delivery.
    dialog.get_by_text("Tags", exact=True).click()  # the section starts folded
    dialog.get_by_role("button", name="Add tags").click()
    tags = page.get_by_role("dialog").filter(has_text="Add tags to run")
    tags.get_by_role("textbox", name="Tag Key").fill(APPROVE_TAG)
    tags.get_by_role("textbox", name="Tag Value").fill("all")
    tags.get_by_role("button", name="Apply").click()
    dialog.get_by_text(f"{APPROVE_TAG}: all", exact=True).wait_for()
    screenshot(page, "backfill-range", also=doc_image("backfill-range"))
    dialog.get_by_role("button", name="Launch backfill").click()
    backfill_id = follow_launch_toast(page, "Created backfill")

    from prod_pipelines.compat import BulkActionStatus

    instance = instance_for(ui)
    pending = {BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING}
    backfill = wait_for(lambda: (b := instance.get_backfill(backfill_id)) and b.status not in pending and b,
                        f"backfill {backfill_id}")
    runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, \
        f"backfill {backfill_id} ended {backfill.status}: {[failures(instance, r.run_id) for r in runs]}"
    page.reload()
    status = page.get_by_text("Status", exact=True).locator("xpath=..")  # the overview's Status field
    status.get_by_text("Succeeded", exact=True).wait_for(timeout=120_000)
    page.get_by_role("row").filter(has_text="100% completed").wait_for()
    screenshot(page, "backfill-succeeded")
    page.get_by_role("tab", name="Runs").click()
    page.get_by_role("link", name=re.compile(r"^run [0-9a-f]{8}$")).first.wait_for()
    assert page.get_by_role("link", name=re.compile(r"^run [0-9a-f]{8}$")).count() == 1
    screenshot(page, "backfill-runs")

    assert len(runs) == 1, f"a single-run backfill policy should make one run, got {len(runs)}"
    assert runs[0].status == dg.DagsterRunStatus.SUCCESS, failures(instance, runs[0].run_id)
    assert runs[0].tags[APPROVE_TAG] == "all"
    assert (runs[0].tags["dagster/asset_partition_range_start"], runs[0].tags["dagster/asset_partition_range_end"]) \
        == (first.isoformat(), last.isoformat())
    assert days <= set(instance.get_materialized_partitions(dg.AssetKey(["marts", "top_items_not_carried"])))


def test_the_partition_view_of_one_day_shows_that_days_own_row_count_and_check_results(page, ui):
    """After a range run, day ONE_PARTITION shows its own numbers, not the range's."""
    from prod_pipelines_tests.support.cli import run_cli
    from prod_pipelines_tests.support.warehouse_state import query

    data_dir = ui.dagster_home.parent
    run_cli("backfill", "--start", START.isoformat(), "--end", RANGE[1].isoformat(), "--approve-large-change", "all",
            data_dir=data_dir, start_date=START)
    (rows,), = query(data_dir, "select rows_accepted from raw.partition_loads where feed = 'inventory' and dt = ?",
                     [date.fromisoformat(ONE_PARTITION)])
    (range_rows,), = query(data_dir, "select sum(rows_accepted) from raw.partition_loads where feed = 'inventory'")
    assert rows < range_rows
    page.goto(f"{ui.url}/assets/raw/inventory?view=partitions&partition={ONE_PARTITION}")
    row_count = page.get_by_role("row").filter(has_text="dagster/row_count")
    row_count.wait_for()
    assert row_count.inner_text().split()[-1].replace(",", "") == str(rows)
    screenshot(page, "partition-view-row-count")

    page.goto(f"{ui.url}/assets/raw/inventory?view=checks&checkDetail=row_count_vs_history")
    page.get_by_text("Latest execution").first.wait_for()
    page.get_by_role("tab", name="Partitions").last.click()
    passed = page.get_by_text(re.compile(r"^Passed \(\d+\)$"))
    passed.wait_for()
    judged = int(re.search(r"\d+", passed.inner_text()).group())
    assert judged >= (RANGE[1] - START).days + 1, f"only {judged} days show a current result"
    pick_partition(page, ONE_PARTITION)
    observed = page.get_by_role("row").filter(has_text="observed_rows")
    observed.wait_for()
    assert observed.inner_text().split()[-1].replace(",", "") == str(rows)
    assert page.get_by_text("Passed", exact=True).first.is_visible()
    screenshot(page, "partition-view-check")


def test_a_failed_check_shows_its_observed_value_and_bound_for_the_day(page, ui):
    """The README's "Was day D good?": inventory for a tenth of the stores on D fails the coverage
    check for D only, and its page says by how much (observed value against the bound)."""
    import polars as pl

    from prod_pipelines.landing.zone import partition_dir, read_as_text
    from prod_pipelines_tests.support.cli import run_cli

    data_dir = ui.dagster_home.parent
    folder = partition_dir(data_dir / "landing", "inventory", END)
    for path in sorted(folder.iterdir()):
        frame = read_as_text(path, "inventory")
        stores = sorted(frame["store_id"].unique().to_list())
        path.unlink()
        frame.filter(pl.col("store_id").is_in(stores[: max(1, len(stores) // 10)])).write_csv(
            folder / (path.name.split(".")[0] + ".csv"))
    done = run_cli("backfill", "--start", START.isoformat(), "--end", END.isoformat(), "--approve-large-change",
                   "all", data_dir=data_dir, start_date=START, check=False)
    assert done.returncode != 0 and "active_store_coverage" in done.stderr, done.stderr[-2000:]

    page.goto(f"{ui.url}/assets/marts/top_items_not_carried?view=checks&checkDetail=active_store_coverage")
    page.get_by_text("Latest execution").first.wait_for()
    page.get_by_role("tab", name="Partitions").last.click()
    page.get_by_text(re.compile(r"^Failed \(1\)$")).wait_for()
    pick_partition(page, END.isoformat())
    observed = page.get_by_role("row", name=re.compile(r"^observed_value "))
    observed.wait_for()
    share = float(observed.inner_text().split()[-1])
    assert share < 0.2, observed.inner_text()
    bound = page.get_by_role("row", name=re.compile(r"^bound "))
    assert bound.inner_text().split(None, 1)[-1].strip() == ">= 0.2", bound.inner_text()
    screenshot(page, "failed-check-observed-and-bound", also=doc_image("failed-check-observed-and-bound"))


def test_the_lineage_downstream_of_raw_inventory_reaches_every_consumer(page, ui):
    """The README's "before changing an upstream table": raw/inventory → Lineage → Downstream."""
    page.goto(f"{ui.url}/assets/raw/inventory?view=lineage&lineageScope=downstream&lineageDepth=10")
    page.locator("svg foreignObject").filter(has_text="stg_inventory").first.wait_for()
    for _ in range(3):
        page.get_by_role("button", name="zoom_out").click()
    page.wait_for_timeout(1000)
    labels = [label.split("Latest event")[0] for label in page.locator("svg foreignObject").evaluate_all(
        "nodes => nodes.map(n => n.textContent.trim())")]  # a node's name, without its status lines
    for name in ("stg_inventory", "top_items_not_carried", "day_verdicts", "retailer_app", "salesforce", "crm_email"):
        assert any(label_shows(label, name) for label in labels), f"{name} is not downstream of raw/inventory: {labels}"
    assert not any(label_shows(label, "stg_orders") for label in labels), "an upstream sibling is drawn"
    screenshot(page, "lineage-downstream-of-inventory", also=doc_image("lineage-downstream-of-inventory"))
