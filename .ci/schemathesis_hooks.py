"""Schemathesis hooks for dojang's native API (loaded by .ci/schemathesis.sh).

Every request schemathesis sends is signed exactly as crates/dojang-proto/src/auth.rs specifies:

    X-Dojang-Date: 2026-11-22T01:02:03Z
    Authorization: DOJANG-HMAC-SHA256 <LinkID>:<base64 HMAC-SHA256>

over "DOJANG-HMAC-SHA256\\n<METHOD>\\n<path and query as sent>\\n<date>\\n<base64 SHA-256 of
the body>", keyed with the base64-decoded SecretKey. The signature is made in a `requests` auth
hook, on the prepared request, so it covers the very bytes and request target that go out.
"""

import base64
import datetime
import hashlib
import hmac
import os

import requests
import schemathesis

LINK_ID = os.environ["DOJANG_LINK_ID"]
SECRET = base64.b64decode(os.environ["DOJANG_SECRET_KEY"])
# Long polls on a request that stays waiting would spend the time budget sleeping.
MAX_WAIT = int(os.environ.get("DOJANG_SCHEMATHESIS_MAX_WAIT", "1"))


class DojangHmac(requests.auth.AuthBase):
    """Sign a prepared request (its final body bytes and request target)."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
        text = "\n".join(["DOJANG-HMAC-SHA256", r.method.upper(), r.path_url, date, body_hash])
        signature = base64.b64encode(hmac.new(SECRET, text.encode(), hashlib.sha256).digest()).decode()
        r.headers["X-Dojang-Date"] = date
        r.headers["Authorization"] = f"DOJANG-HMAC-SHA256 {LINK_ID}:{signature}"
        return r


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs["auth"] = DojangHmac()
    query = case.query
    if isinstance(query, dict) and isinstance(query.get("wait"), int) and query["wait"] > MAX_WAIT:
        query["wait"] = MAX_WAIT
