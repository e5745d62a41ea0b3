//! The PKI parsers: the app's CSR (`check_csr`), the signed answer's CMS SignedData
//! (`Verifier::verify_attached`) and the OCSP request, DER by POST and base64 by GET.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dojang_pki::{
    CertState, IssueRequest, MAX_OCSP_QUESTIONS, MAX_OCSP_REQUEST_LEN, certificate_serial_hex,
    check_csr, ocsp_get_request,
};
use time::Duration;

use crate::fixture::{NOW, ca, verifier};

/// The common name the targets expect (the seeds' CSRs carry it).
const CN: &str = "fuzz";

/// A CSR the check accepts carries a P-256 key whose certificate the CA issues, and whose
/// common name (if any) is the expected one.
pub fn csr(data: &[u8]) {
    let Ok(checked) = check_csr(data, CN) else {
        return;
    };
    assert!(matches!(checked.common_name(), None | Some(CN)));
    // An uncompressed P-256 SubjectPublicKeyInfo is 91 bytes.
    assert_eq!(checked.public_key_der().len(), 91);
    let issued = ca()
        .issue(&IssueRequest {
            csr: &checked,
            holder_name: "홍길동",
            holder_id: "0190c0de-0000-7000-8000-000000000001",
            not_before: NOW,
            not_after: NOW + Duration::days(365),
        })
        .expect("the CA issues for every checked CSR");
    assert_eq!(
        certificate_serial_hex(&issued.der).expect("what the CA issued reads back"),
        issued.serial_hex
    );
}

/// A SignedData the verifier accepts names a certificate whose serial reads back, and carries
/// its content.
pub fn cms(data: &[u8]) {
    let Ok(verified) = verifier().verify_attached(data, NOW) else {
        return;
    };
    assert_eq!(
        certificate_serial_hex(&verified.signer_certificate_der).expect("signer certificate"),
        verified.signer_serial_hex
    );
    assert!(verified.signing_time <= NOW + Duration::days(3650));
}

/// OCSP: the DER request as POSTed (1 to 20 questions, each answered by a signed response),
/// and the input as the GET path segment (decodes to at most the POST limit, and what it
/// decodes to, encoded again, decodes to the same).
pub fn ocsp(data: &[u8]) {
    if data.len() <= MAX_OCSP_REQUEST_LEN
        && let Ok((questions, list)) = ca().ocsp_questions(data)
    {
        assert!((1..=MAX_OCSP_QUESTIONS).contains(&list.len()));
        let states = vec![CertState::Good; list.len()];
        let response = ca()
            .ocsp_response(&questions, &states, NOW, NOW + Duration::hours(1))
            .expect("every accepted request is answered");
        assert!(!response.is_empty());
    }
    if let Some(segment) = crate::text(data)
        && let Some(der) = ocsp_get_request(segment)
    {
        assert!(der.len() <= MAX_OCSP_REQUEST_LEN);
        assert_eq!(ocsp_get_request(&STANDARD.encode(&der)), Some(der.clone()));
        // The server answers what the segment decoded to as it answers a POST.
        let _ = ca().ocsp_questions(&der);
    }
}
