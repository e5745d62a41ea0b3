//! What the cloud pages need to know of the relying party a publishable key names: its name
//! (shown as the requester), the origins that may embed the frame (its CSP `frame-ancestors`
//! and the only origins it talks to) and its registered stylesheets. The keys themselves are
//! `service::cloud`'s (`dojang admin rp cloud set`); this is the pages' narrow view of them.

use crate::state::AppState;

/// A relying party as the frame sees it.
#[derive(Debug, Clone)]
pub struct Framing {
    /// The party's name, shown as "requested by".
    pub name: String,
    /// Its registered origins (`https://rp.example`), as CSP source expressions.
    pub origins: Vec<String>,
    /// Its registered stylesheets (absolute URLs).
    pub stylesheets: Vec<String>,
}

/// Whether `key` has the shape of a publishable key: `pk_` and 32 base64url characters.
pub fn well_formed(key: &str) -> bool {
    key.strip_prefix("pk_").is_some_and(|rest| {
        rest.len() == 32
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The party a publishable key names, or `None` (unknown, cleared, or cloud certificates off).
/// Origins and stylesheets that could not be written safely into a CSP header are left out.
pub async fn lookup(state: &AppState, key: &str) -> Option<Framing> {
    if !well_formed(key) {
        return None;
    }
    let p = crate::service::cloud::publishable(state, key).await?;
    Some(Framing {
        name: p.party.name.clone(),
        origins: p.origins.iter().filter_map(|o| origin(o)).collect(),
        stylesheets: p.stylesheets.iter().filter_map(|s| url(s)).collect(),
    })
}

/// An `http(s)` origin in its serialised form, or `None`.
pub fn origin(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    if !matches!(u.scheme(), "https" | "http") {
        return None;
    }
    let o = u.origin().ascii_serialization();
    safe(&o).then_some(o)
}

/// An absolute `http(s)` URL without anything that would end a CSP source expression.
pub fn url(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    if !matches!(u.scheme(), "https" | "http") || u.query().is_some() || u.fragment().is_some() {
        return None;
    }
    let v = u.as_str().to_owned();
    safe(&v).then_some(v)
}

fn safe(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'\'' | b'"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_origins_and_urls() {
        assert!(well_formed("pk_abcdefghijklmnopqrstuvwxyz012345"));
        assert!(!well_formed("pk_short"));
        assert!(!well_formed("sk_abcdefghijklmnopqrstuvwxyz012345"));
        assert!(!well_formed("pk_abcdefghijklmnopqrstuvwxyz01234;"));
        assert_eq!(
            origin("https://rp.example/path?x").as_deref(),
            Some("https://rp.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("data:text/html,x"), None);
        assert_eq!(
            url("https://rp.example/dojang.css").as_deref(),
            Some("https://rp.example/dojang.css")
        );
        // The URL parser percent-encodes what would end a directive or the header.
        assert_eq!(url("https://rp.example/a;b.css"), None);
        assert_eq!(url("https://rp.example/x.css?v=1"), None);
        assert_eq!(url("ftp://rp.example/x.css"), None);
    }
}
