//! The characters a relying party may put in text the person is shown (issue 14, finding 5):
//! one check over every such field of a create call, whatever the dialect (native, barocert,
//! kakaocert all arrive here as a [`CreateRequest`]). What is refused, and why, is
//! [`dojang_proto::text`]; the app strips the same set again before printing.
//!
//! Lengths and formats stay with each field's own validation (`request.rs`); this only
//! refuses characters, so the two can change independently.

use dojang_proto::rp::CreateRequest;
pub use dojang_proto::text::Lines;

use crate::ValidationError;

/// Refuse `text` if it holds a character that must not be shown in a field of `lines`;
/// `field` names the field in the error.
pub fn check_shown_text(
    field: &'static str,
    text: Option<&str>,
    lines: Lines,
) -> Result<(), ValidationError> {
    match text.and_then(|t| dojang_proto::text::first_unsafe(t, lines)) {
        Some(_) => Err(ValidationError::UnsafeText(field)),
        None => Ok(()),
    }
}

/// Refuse a create call whose shown text holds control or invisible formatting characters:
/// the receiver's name, the titles, the call-centre name and the debit-consent names are one
/// line; the message and the tokens (a text to sign may have several lines) may hold line
/// feeds and tabs. `payload` is never shown to the person (it goes back to the relying party
/// only) and is not checked; `subClientID`, `callCenterNum` and `returnURL` have their own
/// stricter formats.
pub fn check_request_text(w: &CreateRequest) -> Result<(), ValidationError> {
    use Lines::{Many, One};
    check_shown_text("receiverName", w.receiver_name.as_deref(), One)?;
    check_shown_text("reqTitle", w.req_title.as_deref(), One)?;
    check_shown_text("signTitle", w.sign_title.as_deref(), One)?;
    check_shown_text("token", w.token.as_deref(), Many)?;
    for item in w.tokens.iter().flatten() {
        check_shown_text("tokens[].signTitle", item.sign_title.as_deref(), One)?;
        check_shown_text("tokens[].token", item.token.as_deref(), Many)?;
    }
    check_shown_text("extraMessage", w.extra_message.as_deref(), Many)?;
    check_shown_text("callCenterName", w.call_center_name.as_deref(), One)?;
    check_shown_text("requestCorp", w.request_corp.as_deref(), One)?;
    check_shown_text("bankName", w.bank_name.as_deref(), One)?;
    check_shown_text("bankAccountName", w.bank_account_name.as_deref(), One)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_proto::rp::{IdentityRequest, TokenItem};

    #[test]
    fn each_shown_field_is_checked_and_named() {
        let base = || IdentityRequest::new("홍길동", "01012345678", "19900101", "t", "x", 60);
        assert_eq!(check_request_text(&base()), Ok(()));
        type Case = (&'static str, fn(&mut CreateRequest));
        let cases: [Case; 9] = [
            ("receiverName", |w| {
                w.receiver_name = Some("홍\u{202e}길동".into())
            }),
            ("reqTitle", |w| w.req_title = Some("a\u{1b}[2Kb".into())),
            ("signTitle", |w| w.sign_title = Some("a\nb".into())),
            ("token", |w| w.token = Some("a\rb".into())),
            ("tokens[].signTitle", |w| {
                w.tokens = Some(vec![TokenItem {
                    sign_title: Some("\u{9b}31m".into()),
                    ..TokenItem::default()
                }]);
            }),
            ("extraMessage", |w| w.extra_message = Some("a\u{8}b".into())),
            ("callCenterName", |w| {
                w.call_center_name = Some("\u{2066}x\u{2069}".into());
            }),
            ("requestCorp", |w| w.request_corp = Some("\u{200b}".into())),
            ("bankAccountName", |w| {
                w.bank_account_name = Some("\u{7f}".into());
            }),
        ];
        for (field, set) in cases {
            let mut w = base();
            set(&mut w);
            assert_eq!(
                check_request_text(&w),
                Err(ValidationError::UnsafeText(field))
            );
        }
        // Several lines and tabs in the message and the text to sign are fine.
        let mut w = base();
        w.extra_message = Some("첫 줄\n둘째 줄\r\n\t셋째".into());
        w.token = Some("계약서\n제1조".into());
        assert_eq!(check_request_text(&w), Ok(()));
    }
}
