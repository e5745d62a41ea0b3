"""dojang's PKI judged by independent tools, unmodified from PyPI (requirements-pki.txt, locked with hashes):

* pkilint (RFC 5280 profile, CRL and OCSP linters) over the CA certificate, an issued
  certificate, the pair as a chain, the CRL before and after a revocation, a live OCSP response
  and the OCSP evidence of a verify result: no finding of severity WARNING or worse;
* pyhanko-certvalidator over the signer of one signedData (from a real identity verification):
  valid for digitalSignature + nonRepudiation at signing time with the verify result's OCSP
  evidence alone (no network), valid again fetching the CRL and OCSP named in the certificate
  from the server, and refused as revoked once the operator revokes it.

The signature itself is checked too, with `cryptography`: the CMS signed attributes carry the
content's SHA-256, and the certificate's key signed them (signed_data.py, shared with
cms_judge.py, which judges the phone app's browser-made signatures the same way).

Run by compat/run.sh inside compat/with-server.sh."""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

from asn1crypto import crl as asn1_crl, pem, x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import RevokedError
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

import signed_data
from counting import check, finish, plan

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
plan(23)

URL = os.environ["DOJANG_URL"]
BIN = os.path.dirname(sys.executable)


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def dojang_rp(*args):
    env = dict(os.environ, DOJANG_SECRET=os.environ["DOJANG_SECRET_KEY"])
    return json.loads(run(os.environ["DOJANG_BIN"], "rp", *args, env=env))


def der_of(path):
    with open(path, "rb") as f:
        data = f.read()
    return pem.unarmor(data)[2] if pem.detect(data) else data


work = tempfile.mkdtemp()


def file(name, data):
    path = os.path.join(work, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def lint(tool, *args):
    """No pkilint finding of severity WARNING or worse; `args` as the tool takes them (options,
    then the file or files). Judged by the findings pkilint reports (its JSON output), not by
    whatever else reaches its output: a library's deprecation warning on stderr is shown, not
    counted. pkilint exits 0 with no finding and 1 with findings; anything else, or output that
    is not its report, is a failure of the run, never a pass."""
    out = subprocess.run([os.path.join(BIN, tool), "lint", "-s", "WARNING", "-f", "JSON", *args],
                         capture_output=True, text=True)
    if out.stderr.strip():
        print("%s printed on stderr (not a finding): %s" % (tool, out.stderr.strip()),
              file=sys.stderr)
    try:
        report = json.loads(out.stdout)
        findings = [(r["validator"], r["node_path"], d["severity"], d["code"])
                    for r in report["results"] for d in r["finding_descriptions"]]
    except (ValueError, KeyError, TypeError) as e:
        raise AssertionError("%s %s: exit %d, no report (%s): %s %s"
                             % (tool, args, out.returncode, e, out.stdout, out.stderr))
    check(out.returncode == (1 if findings else 0), "%s %s: exit %d with %d findings"
          % (tool, args, out.returncode, len(findings)))
    check(findings == [], "%s %s: %s" % (tool, args, findings))


ca_pem = open(os.environ["DOJANG_CA_PEM"]).read()
ca_path = file("ca.pem", ca_pem)
ca = x509.Certificate.load(der_of(ca_path))
status = json.loads(run(os.environ["DOJANG_APP"], "--profile",
                        os.environ["DOJANG_RECEIVER_PROFILE"], "status", "--json"))
ee_path = file("ee.pem", status["certificate"])

# --- pkilint ---------------------------------------------------------------------------------
lint("lint_pkix_cert", ca_path)
lint("lint_pkix_cert", ee_path)
lint("lint_pkix_signer_signee_cert_chain", ca_path, ee_path)
import requests  # noqa: E402  (installed for certvalidator's fetcher)
crl_before = requests.get(URL + "/pki/crl", timeout=10).content
lint("lint_crl", "-t", "CRL", "-p", "PKIX", file("crl0.der", crl_before))
run("openssl", "ocsp", "-issuer", ca_path, "-cert", ee_path, "-url", URL + "/pki/ocsp",
    "-respout", os.path.join(work, "ocsp.der"), "-CAfile", ca_path, "-verify_other", ca_path)
lint("lint_ocsp_response", os.path.join(work, "ocsp.der"))

# --- one identity verification: the signedData and its OCSP evidence --------------------------
receipt = dojang_rp("identity", "request", "--name", os.environ["DOJANG_RECEIVER_NAME"],
                    "--phone", os.environ["DOJANG_RECEIVER_HP"],
                    "--birth", os.environ["DOJANG_RECEIVER_BIRTHDAY"],
                    "--token", "pyhanko-nonce-1", "--title", "인증서 검증")["receiptID"]
for _ in range(60):
    if dojang_rp("identity", "status", receipt, "--wait", "5")["state"] != 0:
        break
result = dojang_rp("identity", "verify", receipt)
signed = base64.b64decode(result["signedData"])
evidence = base64.b64decode(result["ocspResponse"])
lint("lint_ocsp_response", file("evidence.der", evidence))

signer_cert, signing_time = signed_data.judge(signed, evidence, ca, "pyhanko-nonce-1".encode())
check(signer_cert.serial_number == int(status["serial"], 16), "signer is the enrolled device")


def validate(context):
    return signed_data.validate(signer_cert, context)


# Now, fetching the CRL and OCSP the certificate names (dojang's own URLs).
live = ValidationContext(trust_roots=[ca], allow_fetching=True, revocation_mode="require",
                         fetcher_backend=RequestsFetcherBackend())
validate(live)
check(True, "valid with live revocation data")

# The operator revokes it; the live check now refuses it, the CRL lists it.
run(os.environ["DOJANG_BIN"], "admin", "--data-dir", os.environ["DOJANG_DATA_DIR"], "cert",
    "revoke", "--serial", status["serial"], "--reason", "key-compromise")
crl_after = requests.get(URL + "/pki/crl", timeout=10).content
lint("lint_crl", "-t", "CRL", "-p", "PKIX", file("crl1.der", crl_after))
listed = asn1_crl.CertificateList.load(crl_after)["tbs_cert_list"]["revoked_certificates"]
check([r["user_certificate"].native for r in listed] == [signer_cert.serial_number], "CRL")
after = ValidationContext(trust_roots=[ca], allow_fetching=True, revocation_mode="require",
                          fetcher_backend=RequestsFetcherBackend())
try:
    validate(after)
    raise AssertionError("a revoked certificate validated")
except RevokedError as e:
    check("revoked" in str(e).lower(), "refused as revoked: %s" % e)

finish("PKI (pkilint, pyhanko-certvalidator)")
