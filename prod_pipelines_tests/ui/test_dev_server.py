"""Ctrl-C stops the dev server: a user who starts the UI with `make dev` (`prod-pipelines dev`) or bare
`dagster dev` gets the terminal back, with no webserver, daemon or code server left behind.

Dagster's own dev command shuts its children down on SIGINT; what could break it here is ours: the
CLI replacing itself with `dagster dev` (exec, so there is no wrapper process that swallows the
signal) and the instance settings the daemon starts with. The bound is generous (the complaint was a
server that ignored Ctrl-C for over a minute); how fast it stops is not timed here.
"""

from __future__ import annotations

from datetime import date

import pytest

from prod_pipelines.producers.synthetic import generate_landing
from prod_pipelines_tests.support.ui_server import dagster_ui, graphql, press_ctrl_c

START, END = date(2025, 1, 1), date(2025, 1, 3)
GRACE_SECONDS = 30


@pytest.mark.parametrize("entry", ["prod-pipelines dev", "dagster dev"])
def test_ctrl_c_stops_the_dev_server_and_every_process_it_started(tmp_path, entry):
    generate_landing(tmp_path, START, END, scale=0.01)
    with dagster_ui(tmp_path, START, entry=entry) as ui:
        assert graphql(ui.url, "{ version }")["version"], "the webserver answered no version"
        left = press_ctrl_c(ui.process, GRACE_SECONDS)
        assert not left, (f"{len(left)} processes of `{entry}` still ran {GRACE_SECONDS}s after Ctrl-C: {left}\n"
                          f"{ui.log_path.read_text(errors='replace')[-3000:]}")
        assert ui.process.wait(timeout=5) is not None
