//! `dojang admin rp login-page …`: where the hosted login sends a relying party's browsers back,
//! and its consent records.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::Clock;
use dojang_proto::datetime::format_kst;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::login_page::set_return_url;

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
    /// Show the hosted login's address and return URL.
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
        LoginPageCommand::Show { client_code } => {
            let code = super::admin::registered(instance, &client_code).await?;
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
