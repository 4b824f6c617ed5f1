"""The PromQL of deploy/grafana/fsgate.json, made evaluable outside Grafana.

Grafana fills in template variables before it sends a query; here $job and
$instance become ".*" (the dashboard's "All") and $__rate_interval a fixed
window. Used by tests/integration/test_prometheus.py (evaluated against a real
Prometheus) and, run as a script, by CTest to check that every expression
parses (`promtool check rules` over a generated rule file; no server needed).
"""

import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "fsgate.json")


def panels(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panels(panel)  # rows may nest their panels


def dashboard_queries(path=DASHBOARD):
    """[(panel title, refId, expr)] for every query of every panel."""
    with open(path) as f:
        dashboard = json.load(f)
    out = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if target.get("expr"):
                out.append((panel["title"], target.get("refId", "?"), target["expr"]))
    return out


def substitute(expr, rate_interval="1m"):
    """Grafana's template variables → what Grafana would send with 'All' selected."""
    for name, value in (("$__rate_interval", rate_interval), ("$__interval", rate_interval),
                        ("${job}", ".*"), ("$job", ".*"),
                        ("${instance}", ".*"), ("$instance", ".*")):
        expr = expr.replace(name, value)
    assert "$" not in expr, f"unknown template variable in {expr!r}"
    return expr


def check_with_promtool(promtool="promtool"):
    """Every dashboard expression must parse: write them as recording rules and let promtool check."""
    queries = dashboard_queries()
    if not queries:
        raise SystemExit("no PromQL found in " + DASHBOARD)
    rules = [{"record": f"fsgate:dashboard_check:{i}", "expr": substitute(expr)}
             for i, (_, _, expr) in enumerate(queries)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        # JSON is YAML: no PyYAML needed.
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        path = f.name
    try:
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    sys.stdout.write(r.stdout + r.stderr)
    if r.returncode != 0:
        raise SystemExit(f"promtool rejected dashboard expressions (exit {r.returncode})")
    print(f"{len(queries)} dashboard expressions parse")


if __name__ == "__main__":
    check_with_promtool(*sys.argv[1:])
