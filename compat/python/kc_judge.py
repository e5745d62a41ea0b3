"""What the kakaocert test programs share (both SDK versions): the SDK pointed at dojang over
TLS, checks that count, `openssl cms -verify` against dojang's CA and the signer's name.

Python kakaocert (1.0.0 and 2.52.0) has no service-URL setting: its module constant
`ServiceURL = 'kakaocert-api.linkhub.co.kr'` is always reached over HTTPS. The SDK's installed
code stays untouched; inside this test program only we
  1. trust dojang's test certificate (SSL_CERT_FILE, read by Python's default TLS context),
  2. set that module constant to dojang's TLS listener (host:port),
  3. point the linkhub token client at dojang with `linkhub.authURL`, as LinkHub documents.
A real deployment does the same with a DNS name and a certificate from a public CA (see
docs/compat.md)."""

import base64
import os
import subprocess
import tempfile
import time

os.environ["SSL_CERT_FILE"] = os.environ["DOJANG_TLS_CA"]

import linkhub  # noqa: E402
from kakaocert import KakaocertException, kakaocertService  # noqa: E402

from counting import check, finish, plan  # noqa: E402,F401  (re-exported to the judges)

TLS_URL = os.environ["DOJANG_TLS_URL"]
LINK_ID = os.environ["DOJANG_LINK_ID"]
SECRET_KEY = os.environ["DOJANG_SECRET_KEY"]
CLIENT_CODE = os.environ["DOJANG_CLIENT_CODE"]
NAME = os.environ["DOJANG_RECEIVER_NAME"]
HP = os.environ["DOJANG_RECEIVER_HP"]
BIRTHDAY = os.environ["DOJANG_RECEIVER_BIRTHDAY"]
IDLE_NAME = os.environ["DOJANG_IDLE_NAME"]
IDLE_HP = os.environ["DOJANG_IDLE_HP"]
IDLE_BIRTHDAY = os.environ["DOJANG_IDLE_BIRTHDAY"]
WRONG_SECRET_KEY = "U3dXeHFVKzBURXJCWHkvOVRWaklQRW5JMFZUVU1NU1E="



def pointed_at_dojang(secret_key=SECRET_KEY):
    """A KakaocertService on dojang, with the SDK's defaults otherwise. The class is a
    singleton; a different SecretKey needs the cached instance forgotten first."""
    kakaocertService.ServiceURL = TLS_URL[len("https://"):]
    linkhub.authURL(TLS_URL)
    kakaocertService.Singleton._instances.pop(kakaocertService.KakaocertService, None)
    return kakaocertService.KakaocertService(LINK_ID, secret_key)


def expect_error(code, call, *args):
    try:
        call(*args)
    except KakaocertException as e:
        check(e.code == code, "expected %d, got %d %s" % (code, e.code, e.message))
        return e
    raise AssertionError("expected error %d" % code)


def openssl(signed_data):
    """`openssl cms -verify` against dojang's CA: (signed content, signer's subject)."""
    with tempfile.TemporaryDirectory() as d:
        der, out, signer = (os.path.join(d, n) for n in ("s.der", "out", "signer.pem"))
        with open(der, "wb") as f:
            f.write(base64.b64decode(signed_data))
        subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", der,
                        "-CAfile", os.environ["DOJANG_CA_PEM"], "-out", out,
                        "-signer", signer], check=True, capture_output=True)
        subject = subprocess.run(["openssl", "x509", "-in", signer, "-noout", "-subject",
                                  "-nameopt", "utf8,sep_comma_plus"],
                                 check=True, capture_output=True, text=True).stdout
        with open(out, encoding="utf-8") as f:
            return f.read(), subject


def signed_by_receiver(signed_data, content):
    """The signature verifies, over `content`, by the enrolled person's certificate."""
    got, subject = openssl(signed_data)
    check(got == content, "signed content %r != %r" % (got, content))
    check("CN=" + NAME in subject, "signer " + subject)
    return got


def person(**fields):
    """A request body for the approving person, every field kakaocert's documents require, as
    the SDKs' examples write it; `fields` adds or overrides."""
    body = dict(CallCenterNum="1600-8536", Expires_in=60, ReceiverBirthDay=BIRTHDAY,
                ReceiverHP=HP, ReceiverName=NAME, SubClientID="", isAllowSimpleRegistYN=False,
                isVerifyNameYN=True, PayLoad="Payload123")
    body.update(fields)
    return body


def answered(get_state, receipt_id):
    """Ask for the state (or result) until the person answered. Polls are not checks: how many
    see state 0 depends on timing, and a judge's count must not."""
    for _ in range(150):
        st = get_state(CLIENT_CODE, receipt_id)
        if st.state != 0:
            return st
        if st.signedData is not None:
            raise AssertionError("a signature while waiting")
        time.sleep(0.2)
    raise AssertionError("no answer from the app")
