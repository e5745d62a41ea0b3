//! The pages' words in Korean and English. Each page module keeps its own table of
//! `(key, Korean, English)`; [`Tr`] looks a key up in the page's table, then in [`COMMON`].
//! Templates write `{{ tr.t("key") }}`; a test checks that every key a template uses exists and
//! that no table repeats a key.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
pub use dojang_proto::error::Lang;

/// A table of words: key, Korean, English.
pub type Table = &'static [(&'static str, &'static str, &'static str)];

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "dojang_lang";

/// Words every page shares (the layout).
pub const COMMON: Table = &[
    ("brand", "도장", "dojang"),
    ("brand.tagline", "간편인증", "simple certificate"),
    ("lang.switch", "English", "한국어"),
    ("skip", "본문 바로가기", "Skip to content"),
    (
        "error.title",
        "요청을 처리하지 못했습니다",
        "We could not do that",
    ),
    ("error.back", "처음으로", "Start again"),
    (
        "footer",
        "도장 — 열린 간편인증",
        "dojang — open simple certificates",
    ),
    ("nav.login", "로그인", "Log in"),
    ("nav.console", "테스트 콘솔", "Test console"),
    ("nav.admin", "관리자", "Admin"),
    ("nav.api", "API 문서", "API reference"),
    ("cloud.nav", "금융인증서", "Cloud certificate"),
    ("submit", "확인", "Submit"),
    ("cancel", "취소", "Cancel"),
];

/// Every table, for the consistency test.
pub const TABLES: &[Table] = &[
    COMMON,
    super::HOME,
    super::HELP,
    super::login::WORDS,
    crate::demo::WORDS,
    super::admin::ADMIN,
    super::console::CONSOLE,
    super::cloud::CLOUD,
    super::app::APP,
];

/// The page's language and words.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
    table: Table,
}

impl Tr {
    /// Words of `table` (and the common ones) in `lang`.
    pub const fn new(lang: Lang, table: Table) -> Self {
        Self { lang, table }
    }

    /// The word for `key`; a missing key shows itself (and fails the consistency test).
    pub fn t(&self, key: &str) -> &'static str {
        let pick = |&(_, ko, en): &(&'static str, &'static str, &'static str)| match self.lang {
            Lang::Ko => ko,
            Lang::En => en,
        };
        self.table
            .iter()
            .chain(COMMON.iter())
            .find(|(k, _, _)| *k == key)
            .map_or_else(|| leak_key(key), pick)
    }

    /// `ko` or `en`, for `<html lang>`.
    pub const fn code(&self) -> &'static str {
        match self.lang {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The other language's code, for the switch link.
    pub const fn other(&self) -> &'static str {
        match self.lang {
            Lang::Ko => "en",
            Lang::En => "ko",
        }
    }
}

/// A key that is not in the tables. Shown as `?key?` so it is noticed; keys come from
/// templates (compiled in), so the set is small and fixed.
fn leak_key(key: &str) -> &'static str {
    tracing::warn!(key, "page text key missing");
    "?"
}

/// The language a page is shown in: `?lang=` first, then the cookie, then Korean.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(l) = parts.uri.query().and_then(query_lang) {
            return Ok(Self(l));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(Self(
            jar.get(LANG_COOKIE)
                .and_then(|c| parse(c.value()))
                .unwrap_or(Lang::Ko),
        ))
    }
}

/// `ko` or `en`.
pub fn parse(v: &str) -> Option<Lang> {
    match v {
        "ko" => Some(Lang::Ko),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The `lang` parameter of a query string.
pub fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| parse(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        for table in TABLES {
            let mut seen = std::collections::HashSet::new();
            for (k, ko, en) in *table {
                assert!(seen.insert(*k), "{k} twice in one table");
                assert!(!ko.is_empty() && !en.is_empty(), "{k} has an empty text");
            }
        }
    }

    #[test]
    fn every_template_key_exists() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut paths = Vec::new();
        files(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")),
            &mut paths,
        );
        assert!(paths.iter().any(|p| p.ends_with("admin/login.html")));
        let mut checked = 0;
        for path in paths {
            let text = std::fs::read_to_string(path).unwrap();
            for part in text.split("tr.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                let found = TABLES.iter().any(|t| t.iter().any(|(k, _, _)| *k == key));
                assert!(found, "template key {key} is in no table");
                checked += 1;
            }
        }
        assert!(checked > 5, "only {checked} keys found");
    }

    #[test]
    fn lookup_and_switch() {
        let ko = Tr::new(Lang::Ko, &[("x", "가", "a")]);
        assert_eq!(ko.t("x"), "가");
        assert_eq!(ko.t("brand"), "도장");
        assert_eq!(ko.other(), "en");
        let en = Tr::new(Lang::En, &[("x", "가", "a")]);
        assert_eq!(en.t("x"), "a");
        assert_eq!(en.t("nope"), "?");
        assert_eq!(query_lang("a=1&lang=en"), Some(Lang::En));
        assert_eq!(query_lang("lang=fr"), None);
    }
}
