"""What the barocert test programs share: the environment compat/with-server.sh sets, checks
that count, `openssl cms -verify` against dojang's CA, and waiting for the app's answer."""

import base64
import os
import subprocess
import tempfile
import time

URL = os.environ["DOJANG_URL"]
CLIENT_CODE = os.environ["DOJANG_CLIENT_CODE"]
NAME = os.environ["DOJANG_RECEIVER_NAME"]
HP = os.environ["DOJANG_RECEIVER_HP"]
BIRTHDAY = os.environ["DOJANG_RECEIVER_BIRTHDAY"]
IDLE_NAME = os.environ["DOJANG_IDLE_NAME"]
IDLE_HP = os.environ["DOJANG_IDLE_HP"]
IDLE_BIRTHDAY = os.environ["DOJANG_IDLE_BIRTHDAY"]

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


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
