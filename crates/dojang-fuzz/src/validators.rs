//! The validators of fields typed by people or sent by relying parties: receipt ids, name,
//! phone, birth date, bank fields, codes, call-centre number, sub-client id, return URL, and
//! the text checks. The input is one string; every validator runs on it.
//!
//! What holds of what any of them accepts: no control character, no character
//! `text::is_unsafe` refuses, and validating the accepted value again gives the same value.

use dojang_core::bank::{AccountNumber, BankCode, TransferWord};
use dojang_core::enrolment::OneTimeCode;
use dojang_core::registration::{AuthorizationCode, ReferenceNumber};
use dojang_core::request::{validate_call_center, validate_return_url, validate_sub_client_id};
use dojang_core::{Birthday, PersonName, Phone, ReceiptForm, ReceiptId};
use dojang_proto::text::{Lines, first_unsafe, for_display, is_unsafe};

use crate::fixture::NOW;

fn clean(what: &str, s: &str) {
    assert!(
        !s.chars().any(|c| c.is_control() || is_unsafe(c)),
        "{what} accepted {s:?}"
    );
}

/// Every validator on `data` (UTF-8).
pub fn validators(data: &[u8]) {
    let Some(s) = crate::text(data) else {
        return;
    };
    text_checks(s);
    for form in [ReceiptForm::Long, ReceiptForm::Short] {
        if let Ok(id) = ReceiptId::parse_in(s, form) {
            assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()), "{id:?}");
            assert_eq!(id.form(), form);
            assert_eq!(ReceiptId::parse_in(id.as_str(), form).as_ref(), Ok(&id));
        }
    }
    if let Ok(name) = PersonName::parse(s) {
        clean("name", name.as_str());
        assert!(first_unsafe(name.as_str(), Lines::One).is_none());
        assert_eq!(PersonName::parse(name.as_str()).as_ref(), Ok(&name));
    }
    if let Ok(phone) = Phone::parse(s) {
        assert!(
            phone.as_str().bytes().all(|b| b.is_ascii_digit()),
            "{phone:?}"
        );
        assert_eq!(Phone::parse(phone.as_str()).as_ref(), Ok(&phone));
        assert!(!phone.masked().contains(phone.as_str()));
    }
    if let Ok(b) = Birthday::parse(s, NOW) {
        assert!(b.date() <= NOW.date());
        assert_eq!(Birthday::parse(&b.to_compact(), NOW), Ok(b));
    }
    if let Ok(code) = BankCode::parse(s) {
        clean("bank code", code.as_str());
        assert_eq!(BankCode::parse(code.as_str()).as_ref(), Ok(&code));
    }
    if let Ok(account) = AccountNumber::parse(s) {
        clean("account", account.as_str());
        assert!(account.digits().bytes().all(|b| b.is_ascii_digit()));
        clean("masked account", &account.masked());
        assert_eq!(
            AccountNumber::parse(account.as_str()).as_ref(),
            Ok(&account)
        );
    }
    if let Ok(word) = TransferWord::parse(s) {
        clean("transfer word", word.as_str());
    }
    if let Ok(code) = OneTimeCode::parse(s) {
        assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    if let Ok(r) = ReferenceNumber::parse(s) {
        assert!(r.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    if let Ok(a) = AuthorizationCode::parse(s) {
        assert!(a.as_str().bytes().all(|b| b.is_ascii_digit()));
        clean("authorization code", &a.grouped());
    }
    if let Ok(Some(n)) = validate_call_center(Some(s)) {
        clean("call centre", &n);
        assert_eq!(validate_call_center(Some(&n)), Ok(Some(n.clone())));
    }
    if let Ok(id) = validate_sub_client_id(s) {
        clean("subClientID", &id);
        assert_eq!(validate_sub_client_id(&id).as_ref(), Ok(&id));
    }
    if let Ok(url) = validate_return_url(s) {
        clean("returnURL", &url);
        assert_eq!(validate_return_url(&url).as_ref(), Ok(&url));
    }
}

/// `first_unsafe` and `for_display`: what is shown is always safe, and a text that is safe is
/// shown as it is (CR LF as LF).
fn text_checks(s: &str) {
    for lines in [Lines::One, Lines::Many] {
        let shown = for_display(s, lines);
        assert_eq!(
            first_unsafe(&shown, lines),
            None,
            "for_display({s:?}) = {shown:?}"
        );
        if first_unsafe(s, lines).is_none() {
            // Shown as it is, but for CR LF written as LF.
            assert_eq!(shown, s.replace("\r\n", "\n"));
        }
        if let Some((at, c)) = first_unsafe(s, lines) {
            assert_eq!(s.chars().nth(at), Some(c));
        }
    }
    if first_unsafe(s, Lines::One).is_none() {
        assert!(!s.contains(['\n', '\r', '\t']));
        assert!(first_unsafe(s, Lines::Many).is_none());
    }
}
