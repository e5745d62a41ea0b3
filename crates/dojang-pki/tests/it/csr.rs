//! CSR checks with CSRs made by our own DeviceKey (OpenSSL-made ones are in `openssl`).

use dojang_pki::{DeviceKey, MAX_CSR_LEN, PkiError, check_csr};

use crate::common::*;

#[test]
fn own_csr_is_accepted() {
    let device = DeviceKey::generate();
    let csr = device.csr_der(HOLDER_ID).unwrap();
    let checked = check_csr(&csr, HOLDER_ID).unwrap();
    assert_eq!(checked.common_name(), Some(HOLDER_ID));
    assert_eq!(checked.public_key_der(), device.public_key_der().unwrap());
}

#[test]
fn korean_common_name_must_match_exactly() {
    let device = DeviceKey::generate();
    let csr = device.csr_der("홍길동").unwrap();
    assert!(check_csr(&csr, "홍길동").is_ok());
    assert!(matches!(
        check_csr(&csr, "홍길동 "),
        Err(PkiError::CsrSubjectMismatch)
    ));
}

#[test]
fn empty_subject_is_accepted() {
    let device = DeviceKey::generate();
    let csr = device.csr_der("").unwrap();
    let checked = check_csr(&csr, "whatever").unwrap();
    assert_eq!(checked.common_name(), None);
}

#[test]
fn different_common_name() {
    let csr = DeviceKey::generate().csr_der("someone-else").unwrap();
    assert!(matches!(
        check_csr(&csr, HOLDER_ID),
        Err(PkiError::CsrSubjectMismatch)
    ));
}

#[test]
fn broken_signature() {
    let csr = DeviceKey::generate().csr_der(HOLDER_ID).unwrap();
    let err = check_csr(&flip(&csr, csr.len() - 1), HOLDER_ID).unwrap_err();
    assert!(matches!(err, PkiError::CsrBadSignature), "{err:?}");
    // A change inside the signed part (the CN) also breaks the signature.
    let at = find(&csr, HOLDER_ID.as_bytes());
    let tampered = flip(&csr, at);
    let err = check_csr(
        &tampered,
        &String::from_utf8_lossy(&tampered[at..at + HOLDER_ID.len()]),
    )
    .unwrap_err();
    assert!(matches!(err, PkiError::CsrBadSignature), "{err:?}");
}

#[test]
fn oversized_garbage_truncated_empty() {
    let err = check_csr(&vec![0x30; MAX_CSR_LEN + 1], "x").unwrap_err();
    assert!(
        matches!(err, PkiError::CsrTooLarge { len, max } if len == MAX_CSR_LEN + 1 && max == MAX_CSR_LEN)
    );
    let csr = DeviceKey::generate().csr_der(HOLDER_ID).unwrap();
    for input in [&b""[..], &b"garbage"[..], &csr[..csr.len() - 1], &csr[..10]] {
        let err = check_csr(input, HOLDER_ID).unwrap_err();
        assert!(matches!(err, PkiError::MalformedCsr(_)), "{err:?}");
    }
    for len in 0..csr.len() {
        assert!(check_csr(&csr[..len], HOLDER_ID).is_err());
    }
}
