"""A SignedData made in the browser by the phone app (/app, assets/der.js) judged like
dojang-app's (signed_data.py: asn1crypto, `cryptography`, pyhanko-certvalidator with the verify
result's OCSP evidence alone).

    cms_judge.py CA_PEM SIGNED_DATA_B64 OCSP_B64 CONTENT

Run by e2e/app.test.mjs with the pki judge's virtualenv (target/compat-venv-pki)."""

import base64
import sys

from asn1crypto import pem, x509

import signed_data
from counting import finish, plan

plan(5)
ca_path, signed_b64, ocsp_b64, content = sys.argv[1:5]
with open(ca_path, "rb") as f:
    data = f.read()
ca = x509.Certificate.load(pem.unarmor(data)[2] if pem.detect(data) else data)
signed_data.judge(base64.b64decode(signed_b64), base64.b64decode(ocsp_b64), ca,
                  content.encode())
finish("browser CMS (pyhanko-certvalidator)")
