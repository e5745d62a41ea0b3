//! `dojang admin rp login-page …`: where the hosted login sends a relying party's browsers back,
//! the texts its page shows (notice, help, support numbers), and its consent records.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::Clock;
use dojang_proto::datetime::format_kst;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::login_page::{TextsUpdate, set_return_url, set_texts};

#[derive(Debug, Subcommand)]
pub(crate) enum LoginPageCommand {
    /// Register the return URL: the hosted login sends the browser there with `code` and
    /// `state` once the person has confirmed (`https://`, or `http://` on localhost).
    Set {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// The return URL.
        #[arg(long)]
        return_url: String,
    },
    /// Remove the return URL: the hosted login then refuses this relying party.
    Clear {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
    },
    /// Set the page's texts in one language: the third-party notice's parts (your legal text),
    /// the help shown when a push does not arrive, the support numbers. Only the parts given
    /// change; an empty value gives a part back to the built-in text. A language without a
    /// part falls back to the Korean text, then to the built-in one. Takes effect at once.
    Texts {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// `ko` or `en`.
        #[arg(long, default_value = "ko")]
        lang: String,
        /// The notice's recipient(s) (제공받는 자).
        #[arg(long)]
        recipient: Option<String>,
        /// The notice's purpose (제공 목적).
        #[arg(long)]
        purpose: Option<String>,
        /// The notice's items (제공 항목).
        #[arg(long)]
        items: Option<String>,
        /// The notice's retention (보유 및 이용 기간).
        #[arg(long)]
        retention: Option<String>,
        /// The help shown when a push does not arrive.
        #[arg(long = "help-text")]
        help_text: Option<String>,
        /// The support number(s) shown on the page, e.g. "02-2133-7349 또는 02-2133-7350"
        /// (default: the relying party's call-centre number).
        #[arg(long)]
        support: Option<String>,
    },
    /// Give the page's texts back to the built-in ones (one language, or all).
    TextsClear {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// Only this language (`ko` or `en`).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Show the hosted login's address, return URL and the texts the operator set.
    Show {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
    },
    /// Consent records (who accepted which notice, for which relying party, when), newest first.
    Consents {
        /// Only this relying party's.
        #[arg(long)]
        client_code: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The parts of `t` that are set, one per line (continuation lines indented).
fn say_texts(t: &dojang_store::LoginTexts) {
    for (name, v) in [
        ("recipient", &t.recipient),
        ("purpose", &t.purpose),
        ("items", &t.items),
        ("retention", &t.retention),
        ("help", &t.help),
        ("support", &t.support),
    ] {
        if let Some(v) = v {
            say(format!("  {name}: {}", v.replace('\n', "\n    ")));
        }
    }
}

pub(crate) async fn run(
    instance: &Instance,
    clock: &dyn Clock,
    command: LoginPageCommand,
) -> Result<ExitCode, String> {
    match command {
        LoginPageCommand::Set {
            client_code,
            return_url,
        } => {
            let code = super::admin::registered(instance, &client_code).await?;
            let url = set_return_url(
                instance.store.as_ref(),
                &code,
                Some(&return_url),
                clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the return URL is empty (use `clear` to turn the hosted login off)")?;
            say(format!(
                "hosted login of {}: /login/{} → {}",
                code.as_str(),
                code.as_str(),
                url
            ));
        }
        LoginPageCommand::Clear { client_code } => {
            let code = super::admin::registered(instance, &client_code).await?;
            set_return_url(instance.store.as_ref(), &code, None, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            say(format!("hosted login of {} is off", code.as_str()));
        }
        LoginPageCommand::Texts {
            client_code,
            lang,
            recipient,
            purpose,
            items,
            retention,
            help_text,
            support,
        } => {
            let code = super::admin::registered(instance, &client_code).await?;
            let update = TextsUpdate {
                recipient,
                purpose,
                items,
                retention,
                help: help_text,
                support,
            };
            match set_texts(instance.store.as_ref(), &code, &lang, update, clock.now())
                .await
                .map_err(|e| e.to_string())?
            {
                Some(t) => {
                    say(format!(
                        "hosted login texts of {} ({}) set:",
                        code.as_str(),
                        t.lang
                    ));
                    say_texts(&t);
                }
                None => say(format!(
                    "hosted login texts of {} ({lang}) are the built-in ones",
                    code.as_str()
                )),
            }
        }
        LoginPageCommand::TextsClear { client_code, lang } => {
            let code = super::admin::registered(instance, &client_code).await?;
            if let Some(l) = lang.as_deref()
                && !crate::service::login_page::TEXT_LANGS.contains(&l)
            {
                return Err("language must be ko or en".into());
            }
            let n = instance
                .store
                .clear_login_texts(&code, lang.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            say(format!(
                "hosted login texts of {}: {n} language(s) back to the built-in texts",
                code.as_str()
            ));
        }
        LoginPageCommand::Show { client_code } => {
            let code = super::admin::registered(instance, &client_code).await?;
            let texts = instance
                .store
                .login_texts(&code)
                .await
                .map_err(|e| e.to_string())?;
            for t in &texts {
                say(format!(
                    "texts ({}), set {}:",
                    t.lang,
                    format_kst(t.updated_at)
                ));
                say_texts(t);
            }
            if texts.is_empty() {
                say("texts: the built-in ones");
            }
            match instance
                .store
                .login_return_url(&code)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(u) => say(format!("/login/{} → {u}", code.as_str())),
                None => say(format!(
                    "no return URL for {}: the hosted login is off",
                    code.as_str()
                )),
            }
        }
        LoginPageCommand::Consents {
            client_code,
            limit,
            json,
        } => {
            let code = match client_code {
                Some(c) => Some(super::admin::registered(instance, &c).await?),
                None => None,
            };
            let list = instance
                .store
                .consents(code.as_ref(), None, limit)
                .await
                .map_err(|e| e.to_string())?;
            for c in list {
                if json {
                    say(json!({
                        "id": c.id,
                        "clientCode": c.client_code.as_str(),
                        "receiptID": c.receipt_id,
                        "name": c.person.name.as_str(),
                        "noticeVersion": c.notice_version,
                        "lang": c.lang,
                        "acceptedDT": format_kst(c.accepted_at),
                    }));
                } else {
                    say(format!(
                        "{}  {}  {}  {}  notice {} ({})",
                        format_kst(c.accepted_at),
                        c.client_code.as_str(),
                        c.person.name.as_str(),
                        c.receipt_id,
                        c.notice_version,
                        c.lang
                    ));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
