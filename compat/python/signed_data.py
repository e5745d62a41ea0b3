"""One SignedData judged by independent code, shared by pki_judge.py (a dojang-app signature) and
cms_judge.py (a signature made in the browser by the phone app at /app):

* asn1crypto reads it; the encapsulated content is what was asked to be signed and the signed
  attributes carry its SHA-256;
* `cryptography` checks the signer certificate's key signed those attributes (ECDSA P-256);
* pyhanko-certvalidator validates the signer for digitalSignature + nonRepudiation at signing
  time with the verify result's OCSP evidence alone (no network), and cannot without it.

Five checks (counting.check)."""

import asyncio
import hashlib

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import load_der_x509_certificate
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from counting import check

USAGE = {"digital_signature", "non_repudiation"}


def validate(signer_cert, context):
    validator = CertificateValidator(signer_cert, validation_context=context)
    return asyncio.run(validator.async_validate_usage(USAGE))


def judge(signed, evidence, ca, content):
    """Judge DER `signed` (SignedData in a ContentInfo) whose content must be `content` (bytes),
    with `evidence` (DER OCSP response) under trust root `ca` (asn1crypto Certificate). Returns
    the signer certificate and the signing time."""
    sd = cms.ContentInfo.load(signed)["content"]
    signer_cert = sd["certificates"][0].chosen
    signer = sd["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    got = sd["encap_content_info"]["content"].native
    check(got == content, "signed content")
    check(attrs["message_digest"].native == hashlib.sha256(got).digest(), "message digest")
    load_der_x509_certificate(signer_cert.dump()).public_key().verify(
        signer["signature"].native, signer["signed_attrs"].untag().dump(),
        ec.ECDSA(hashes.SHA256()))
    check(True, "ECDSA signature over the signed attributes")
    signing_time = attrs["signing_time"].native
    offline = ValidationContext(trust_roots=[ca], ocsps=[evidence], allow_fetching=False,
                                revocation_mode="require", moment=signing_time)
    path = validate(signer_cert, offline)
    check(path.first == ca and path.leaf == signer_cert, "path ca -> signer")
    # Without the evidence (and without fetching) the same validation cannot be made.
    bare = ValidationContext(trust_roots=[ca], ocsps=[], crls=[], allow_fetching=False,
                             revocation_mode="require", moment=signing_time)
    try:
        validate(signer_cert, bare)
        raise AssertionError("validated with no revocation information")
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 (certvalidator's path-validation errors)
        check("revocation" in str(e).lower() or "revinfo" in str(e).lower(),
              "no revinfo: %s" % e)
    return signer_cert, signing_time
