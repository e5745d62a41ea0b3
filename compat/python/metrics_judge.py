"""dojang's /metrics read by the Prometheus project's own parser (prometheus_client, the
official Python client) against a real `dojang serve` (compat/with-server.sh, which starts it
with a metrics listener and enrols two people with dojang-app, both listening).

Scrapes once, drives one identity request through LinkHub's barocert SDK (unmodified) — the
approving app signs it — plus one refused call, scrapes again, and checks the exact
differences: what an operator's dashboards and alerts read (docs/operations.md, "Metrics and
health"). Also: every family has help text and the type it claims; histograms are well formed;
no label carries a receipt id; the metrics port serves only metrics and probes.
"""

import json
import os
import re
import urllib.error
import urllib.request

from barocert import BarocertException, KakaoIdentity, KakaocertService
from prometheus_client.parser import text_string_to_metric_families

import judge
from judge import BIRTHDAY, CLIENT_CODE, HP, NAME, check

judge.plan(21)

METRICS = os.environ["DOJANG_METRICS_URL"]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8")


def scrape():
    status, ctype, text = fetch(METRICS + "/metrics")
    assert status == 200, status
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {}
    for f in families.values():
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return ctype, text, families, samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name):
    return sum(v for (n, _), v in samples.items() if n == name)


_, _, _, before = scrape()

service = judge.pointed_at_dojang(KakaocertService)
receipt = service.requestIdentity(CLIENT_CODE, KakaoIdentity(
    receiverHP=service._encrypt(HP), receiverName=service._encrypt(NAME),
    receiverBirthday=service._encrypt(BIRTHDAY), reqTitle="지표 확인", expireIn=300,
    token=service._encrypt("지표 확인 토큰"), appUseYN=False))
judge.wait_answered(service.getIdentityStatus, receipt.receiptID)
result = service.verifyIdentity(CLIENT_CODE, receipt.receiptID)
try:
    service.verifyIdentity(CLIENT_CODE, receipt.receiptID)
    refused = False
except BarocertException:
    refused = True

ctype, text, families, after = scrape()
check(ctype.startswith("text/plain") and "version=0.0.4" in ctype, "the text format's content type")
check(result.state == 1 and refused, "the flow ran: signed, verified once, refused again")

# The flow, counted exactly once each.
d = lambda name, **l: value(after, name, **l) - value(before, name, **l)  # noqa: E731
check(d("dojang_requests_created_total", kind="identity", dialect="barocert") == 1,
      "one identity request created in the barocert dialect")
check(d("dojang_request_events_total", kind="identity", event="signed") == 1, "signed once")
check(d("dojang_request_events_total", kind="identity", event="verified") == 1, "verified once")
check(d("dojang_push_published_total", result="delivered") == 1,
      "the card reached the listening app")
check(total(after, "dojang_api_errors_total") - total(before, "dojang_api_errors_total") == 1,
      "the second verify counted as one API error")
route = "/KAKAO/{service}/{client_code}"
check(d("dojang_http_requests_total", route=route, method="POST", status="200") == 1,
      "the request call counted by its route template")

# What with-server.sh did before: two people enrolled, both apps listening.
# (The approver by a bank-account check, the idle person by SMS.)
check(value(after, "dojang_certificates_issued_total", kind="app", proof="bank") == 1
      and value(after, "dojang_certificates_issued_total", kind="app", proof="sms") == 1,
      "app certificates counted by proof: one bank, one SMS")
check(value(after, "dojang_sms_sent_total", result="sent") >= 1
      and value(after, "dojang_bank_deposits_total", result="sent") == 1,
      "the SMS code and the 1-won deposit counted")
check(value(after, "dojang_push_connections") == 2, "two live device connections")
check(value(after, "dojang_db_connections") == 1 and value(after, "dojang_sqlite_queue_jobs") >= 0,
      "SQLite: one executor connection, its queue")
check(value(after, "dojang_webhook_queue_depth") == 0, "no webhook configured, none queued")

# Well formed: help text, the claimed type, histogram buckets.
ours = [f for n, f in families.items() if n.startswith("dojang_")]
check(all(f.documentation for f in ours), "every family has help text")
types = {n: f.type for n, f in families.items()}
check(types.get("dojang_http_request_duration_seconds") == "histogram"
      and types.get("dojang_requests_created") == "counter"
      and types.get("dojang_push_connections") == "gauge", "the families' types")
hist = families["dojang_http_request_duration_seconds"]
series = {}
for s in hist.samples:
    key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
    series.setdefault(key, {"buckets": [], "count": None})
    if s.name.endswith("_bucket"):
        series[key]["buckets"].append((float(s.labels["le"]), s.value))
    elif s.name.endswith("_count"):
        series[key]["count"] = s.value
ok = bool(series)
for v in series.values():
    b = sorted(v["buckets"])
    ok = ok and b and b[-1][0] == float("inf") and b[-1][1] == v["count"]
    ok = ok and all(b[i][1] <= b[i + 1][1] for i in range(len(b) - 1))
check(ok, "every latency histogram: cumulative buckets ending at +Inf = count")
# (Label values only: a float's digits, e.g. a histogram's sum, can run long.)
check(not any(re.search(r"[0-9]{20,}", v) for (_, labels) in after for (_, v) in labels),
      "no receipt id in any label")

# The probes on the metrics port; the API is not served there.
status, _, body = fetch(METRICS + "/readyz")
check(status == 200 and json.loads(body)["checks"] == {"database": "ok", "schema": "ok", "ca": "ok"},
      "/readyz: database, schema and CA ready")
check(fetch(METRICS + "/healthz")[0] == 200, "/healthz")
check(fetch(METRICS + "/v1/openapi.json")[0] == 404, "the API is not on the metrics port")
check(fetch(os.environ["DOJANG_URL"] + "/metrics")[0] == 404, "no metrics on the API port")

judge.finish("metrics_judge.py")
