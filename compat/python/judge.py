"""What the barocert test programs share: the environment compat/with-server.sh sets, checks
that count, `openssl cms -verify` against dojang's CA, waiting for the app's answer, the idle
person's expiring requests and a service with a wrong SecretKey."""

import base64
import os
import subprocess
import sys
import tempfile
import time

from counting import check, finish, plan  # noqa: F401  (re-exported to the judges)

URL = os.environ["DOJANG_URL"]
CLIENT_CODE = os.environ["DOJANG_CLIENT_CODE"]
NAME = os.environ["DOJANG_RECEIVER_NAME"]
HP = os.environ["DOJANG_RECEIVER_HP"]
BIRTHDAY = os.environ["DOJANG_RECEIVER_BIRTHDAY"]
IDLE_NAME = os.environ["DOJANG_IDLE_NAME"]
IDLE_HP = os.environ["DOJANG_IDLE_HP"]
IDLE_BIRTHDAY = os.environ["DOJANG_IDLE_BIRTHDAY"]
# expireIn of the requests to the idle person: they run out while the program goes on.
IDLE_EXPIRE_IN = 2



def pointed_at_dojang(service_class):
    """The SDK's service, set up as LinkHub's examples do, with both URLs on dojang."""
    service = service_class(os.environ["DOJANG_LINK_ID"], os.environ["DOJANG_SECRET_KEY"])
    service.IPRestrictOnOff = False
    service.UseStaticIP = False
    service.UseLocalTimeYN = False
    service.ServiceURL(URL)
    service.AuthURL(URL)
    return service


def openssl_content(signed_data):
    """`openssl cms -verify` against dojang's CA; the signed content."""
    with tempfile.TemporaryDirectory() as d:
        der = os.path.join(d, "s.der")
        out = os.path.join(d, "out")
        with open(der, "wb") as f:
            f.write(base64.b64decode(signed_data))
        subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", der,
                        "-CAfile", os.environ["DOJANG_CA_PEM"], "-out", out],
                       check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            return f.read()


def wait_answered(get_status, receipt_id):
    for _ in range(150):
        status = get_status(CLIENT_CODE, receipt_id)
        if status.state != 0:
            return status
        time.sleep(0.2)
    raise AssertionError("no answer from the app")


def receiver(result):
    check(result.receiverName == NAME, "receiverName")
    check(result.receiverHP == HP, "receiverHP")
    check(result.receiverYear == BIRTHDAY[:4] and result.receiverDay == BIRTHDAY[4:], "birth")
    check(len(result.ci) == 88, "ci")


def expect_error(code, call, *args):
    from barocert import BarocertException
    try:
        call(*args)
    except BarocertException as e:
        check(e.code == code, "expected %d, got %d %s" % (code, e.code, e.message))
        return e
    raise AssertionError("expected error %d" % code)


def idle_person(encrypt):
    """receiverHP, receiverName and receiverBirthday of the person whose app never answers."""
    return dict(receiverHP=encrypt(IDLE_HP), receiverName=encrypt(IDLE_NAME),
                receiverBirthday=encrypt(IDLE_BIRTHDAY))


def wait_expired(get_status, receipt_id, requested_at):
    """Waits until a request made at `requested_at` (time.monotonic()) with expireIn
    IDLE_EXPIRE_IN has run out, and checks that its status says so (state 2)."""
    time.sleep(max(0.0, requested_at + IDLE_EXPIRE_IN + 0.5 - time.monotonic()))
    check(get_status(CLIENT_CODE, receipt_id).state == 2, "expired state")


def app_to_app_login(token):
    """The txID of a simple login approved on 홍길동's phone. Kakao's app-to-app login starts
    in the Kakao app; dojang's starts with the native API (`dojang rp login request
    --app-to-app`), whose scheme URL the person's app opens (`dojang-app open`); the app returns
    to the relying party with the txID, which KAKAO's verifyLogin takes."""
    import json
    import re
    env = dict(os.environ, DOJANG_SECRET=os.environ["DOJANG_SECRET_KEY"])
    asked = subprocess.run([os.environ["DOJANG_BIN"], "rp", "login", "request", "--name", NAME,
                            "--phone", HP, "--birth", BIRTHDAY, "--token", token,
                            "--app-to-app", "https://rp.example.org/back"],
                           env=env, capture_output=True, text=True, check=True)
    opened = subprocess.run([os.environ["DOJANG_APP"], "--profile",
                             os.environ["DOJANG_RECEIVER_PROFILE"], "open",
                             json.loads(asked.stdout)["scheme"]],
                            capture_output=True, text=True, check=True)
    return re.search(r"txID=([0-9a-f]{40})", opened.stdout).group(1)


def wrong_secret_key(service_class):
    """The error code `service_class` (e.g. "NavercertService") raises when built with a wrong
    SecretKey. In another process: the SDK's service classes are singletons."""
    run = subprocess.run([sys.executable, "-c", """
import os, barocert
s = barocert.%s(os.environ["DOJANG_LINK_ID"], "U3dXeHFVKzBURXJCWHkvOVRWaklQRW5JMFZUVU1NU1E=")
s.IPRestrictOnOff = False; s.UseStaticIP = False
s.ServiceURL(os.environ["DOJANG_URL"]); s.AuthURL(os.environ["DOJANG_URL"])
try:
    s.getIdentityStatus(os.environ["DOJANG_CLIENT_CODE"], "1" * 32)
except barocert.BarocertException as e:
    print(e.code)
""" % service_class], capture_output=True, text=True, check=True)
    try:
        return int(run.stdout)
    except ValueError:
        raise AssertionError("wrong SecretKey: " + run.stdout + run.stderr)
