"""deploy/grafana/masa.json and deploy/prometheus/masa-rules.yml (operator
issue 20): `promtool check rules` and `promtool test rules` (Debian's
prometheus package), the dashboard's structure (every panel an id, a type, a
title, a grid position inside 24 columns, and Prometheus targets with refIds
and expressions), and every metric name and label that the panels and the
rules use checked against what a running masa's GET /metrics exposes (the
real server, scraped after some traffic)."""
import datetime
import json
import os
import re
import shutil
import subprocess
import unittest

import yaml
from cryptography import x509
from masatest import MASA_SRC, InstanceTest, request

DASHBOARD = os.path.join(MASA_SRC, "deploy", "grafana", "masa.json")
RULES = os.path.join(MASA_SRC, "deploy", "prometheus", "masa-rules.yml")
RULES_TEST = os.path.join(MASA_SRC, "deploy", "prometheus", "masa-rules.test.yml")
PANEL_TYPES = {"stat", "timeseries", "gauge", "table", "bargauge", "text"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan"}
SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$")


def promtool():
    p = shutil.which("promtool")
    if p is None:
        raise AssertionError("promtool missing: deploy/install-deps.sh --test installs Debian's "
                             "prometheus package")
    return p


def selectors(expr):
    """[(metric name, [label names matched])] of a PromQL expression, and the leftover
    identifiers that are neither functions, keywords nor metrics (must be none)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # string literals
    e = re.sub(r"\$\w+", "1m", e)                           # Grafana variables
    e = re.sub(r"\[[^\]]*\]", "", e)                        # range selectors
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", e)
    found = []
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?", e):
        name, matchers, call = m.group(1), m.group(2), m.group(3)
        if call or name in PROMQL_WORDS or re.fullmatch(r"\d+", name):
            continue
        labels = re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers or "")
        found.append((name, labels))
    return found


class Dashboards(InstanceTest):
    def exposed(self):
        """{metric name: set of label names} of the samples masa's /metrics shows after a
        request on each listener and a scrape."""
        server = self.serve()
        self.assertEqual(request(self.inst, server.port, "GET", "/healthz")[0], 200)
        auth = {"Authorization": "Bearer " + self.inst.token}
        for _ in range(2):   # the first scrape is counted by the second
            st, _, body = request(self.inst, server.admin_port, "GET", "/metrics", headers=auth)
            self.assertEqual(st, 200, body)
        names = {}
        for line in body.decode().splitlines():
            if line.startswith("#") or not line:
                continue
            m = SAMPLE_RE.match(line)
            self.assertIsNotNone(m, line)
            labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(2) or ""))
            names.setdefault(m.group(1), set()).update(labels)
        return names

    def check_exprs(self, where, exprs, exposed):
        """Every metric in exprs is exposed with the labels its matchers name."""
        used = set()
        for expr in exprs:
            for name, labels in selectors(expr):
                with self.subTest(where=where, metric=name, expr=expr):
                    self.assertIn(name, exposed, "%s uses %s, which /metrics does not expose"
                                  % (where, name))
                    self.assertLessEqual(set(labels), exposed[name] | {"instance", "job"})
                used.add(name)
        return used

    def test_rules_pass_promtool(self):
        p = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS: 8 rules found", p.stdout)
        p = subprocess.run([promtool(), "test", "rules", os.path.basename(RULES_TEST)],
                           capture_output=True, text=True, timeout=60,
                           cwd=os.path.dirname(RULES_TEST))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # and promtool does fail a broken rule file (so the check above means something)
        broken = os.path.join(self.inst.tmp, "broken.yml")
        with open(RULES) as f, open(broken, "w") as g:
            g.write(f.read().replace("masa_ready == 0", "masa_ready == == 0"))
        p = subprocess.run([promtool(), "check", "rules", broken], capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)

    def test_dashboard_shape_and_metrics_exist(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        for key, kind in (("title", str), ("uid", str), ("panels", list), ("schemaVersion", int)):
            self.assertIsInstance(dash.get(key), kind, key)
        ids, exprs = set(), []
        for p in dash["panels"]:
            with self.subTest(panel=p.get("title")):
                self.assertIsInstance(p.get("id"), int)
                self.assertNotIn(p["id"], ids)
                ids.add(p["id"])
                self.assertIn(p.get("type"), PANEL_TYPES)
                self.assertTrue(p.get("title"))
                g = p["gridPos"]
                self.assertTrue(all(isinstance(g[k], int) for k in "hwxy"), g)
                self.assertLessEqual(g["x"] + g["w"], 24, g)
                self.assertEqual(p["datasource"]["type"], "prometheus")
                refs = [t["refId"] for t in p["targets"]]
                self.assertTrue(refs)
                self.assertEqual(len(refs), len(set(refs)))
                for t in p["targets"]:
                    self.assertIsInstance(t["expr"], str)
                    exprs.append(t["expr"])
        exposed = self.exposed()
        used = self.check_exprs("the dashboard", exprs, exposed)
        # what the issue asks the dashboard to show
        for name in ("masa_requests_total", "masa_vouchers_issued_total",
                     "masa_request_duration_seconds_bucket", "masa_rate_limited_total",
                     "masa_store_commits_total", "masa_store_errors_total"):
            self.assertIn(name, used)
        with open(RULES) as f:
            rule_exprs = [r["expr"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        self.assertEqual(len(rule_exprs), 8)
        used = self.check_exprs("the rules", rule_exprs, exposed)
        for name in ("masa_ready", "masa_requests_total", "masa_store_errors_total",
                     "masa_signature_failures_total", "masa_certificate_expiry_timestamp_seconds"):
            self.assertIn(name, used)

    def test_health_gauges(self):
        """masa_ready is 1 on a ready server; the certificates' expiry gauges are their
        notAfter, as the cryptography package reads the files."""
        server = self.serve()
        st, _, body = request(self.inst, server.admin_port, "GET", "/metrics",
                              headers={"Authorization": "Bearer " + self.inst.token})
        self.assertEqual(st, 200, body)
        values = dict(line.rsplit(" ", 1) for line in body.decode().splitlines()
                      if line and not line.startswith("#"))
        self.assertEqual(values["masa_ready"], "1")
        for which, name in (("signing", "signing.crt"), ("tls", "tls.crt")):
            with open(self.inst.path(name), "rb") as f:
                cert = x509.load_pem_x509_certificate(f.read())
            want = int(cert.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp())
            self.assertEqual(int(values['masa_certificate_expiry_timestamp_seconds'
                                        '{certificate="%s"}' % which]), want)

    def test_selectors_parser(self):
        """The expression reader finds metrics and labels, and nothing else."""
        self.assertEqual(selectors('sum by (le, x) (rate(a_b{code=~"5..", y="z"}[$__rate_interval]))'
                                   ' / on (i) c - time() > 3 * 86400'),
                         [("a_b", ["code", "y"]), ("c", [])])


if __name__ == "__main__":
    unittest.main()
