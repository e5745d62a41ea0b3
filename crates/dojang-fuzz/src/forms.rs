//! Form bodies (`application/x-www-form-urlencoded`): the hosted login's (read field by field
//! with `url::form_urlencoded::parse`, then the name, phone and birth date through their
//! validators, as `pages/login.rs` does), the admin console's (axum's `Form`, which is
//! `serde_urlencoded`) and the test console's (`serde_urlencoded` into a map of strings).
//!
//! The admin console's typed forms are private to dojang-server, whose instrumented build is
//! too slow for CI's fuzz budget; their parser, `serde_urlencoded`, is fuzzed here into the
//! shapes they use (strings, optional strings, a checkbox).

use std::collections::HashMap;

use dojang_core::{Birthday, PersonName, Phone};
use serde::Deserialize;

use crate::fixture::NOW;

/// The shape of the admin console's forms: a CSRF token, text fields, an optional field and a
/// checkbox (present or not).
#[derive(Debug, Deserialize, PartialEq, serde::Serialize)]
struct AdminShape {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    enabled: Option<String>,
}

/// The three parsers, with round trips.
pub fn forms(data: &[u8]) {
    // The hosted login's form.
    let (mut name, mut phone, mut birthday) = (String::new(), String::new(), String::new());
    for (k, v) in url::form_urlencoded::parse(data) {
        match &*k {
            "name" => name = v.into_owned(),
            "phone" => phone = v.into_owned(),
            "birthday" => birthday = v.into_owned(),
            _ => {}
        }
    }
    if let Ok(n) = PersonName::parse(&name) {
        assert!(!n.as_str().chars().any(char::is_control));
    }
    if let Ok(p) = Phone::parse(&phone) {
        assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    if let Ok(b) = Birthday::parse(&birthday, NOW) {
        assert!(b.date() <= NOW.date());
    }
    // What url's parser reads, serialised by it and read again, is the same list of pairs.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    let written = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let again: Vec<(String, String)> = url::form_urlencoded::parse(written.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs, again);

    // The test console's map and the admin console's typed forms (serde_urlencoded).
    if let Ok(map) = serde_urlencoded::from_bytes::<HashMap<String, String>>(data) {
        let written = serde_urlencoded::to_string(&map).expect("a map of strings writes");
        let again: HashMap<String, String> =
            serde_urlencoded::from_str(&written).expect("what was written reads");
        assert_eq!(map, again);
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<AdminShape>(data) {
        let written = serde_urlencoded::to_string(&form).expect("a form writes");
        let again: AdminShape = serde_urlencoded::from_str(&written).expect("written form reads");
        assert_eq!(form, again);
    }
}
