//! `dojang admin ra …`: the registration desk (등록 창구) — issue a reference number (참조번호) and
//! an authorisation code (인가코드) for a person whose identity the desk checked, list the codes,
//! cancel one.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::registration::{RaCode, RaCodeState, ReferenceNumber};
use dojang_core::{Birthday, Clock, Person, PersonName, Phone, Policy};
use dojang_proto::datetime::format_kst;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::registration;

#[derive(Debug, Subcommand)]
pub(crate) enum RaCommand {
    /// Issue a reference number and an authorisation code for a person whose identity the desk
    /// checked. The person types both into dojang-app (`enroll --method ra`) to get a
    /// certificate without SMS. The code is shown only now; it is single use and valid
    /// `policy.ra_code_ttl_days` (7) days.
    Issue {
        /// Legal name, as on the identity document.
        #[arg(long)]
        name: String,
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Birth date, YYYYMMDD.
        #[arg(long)]
        birth: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List codes, newest first: outstanding ones, or every state with --all.
    List {
        /// Only the codes issued for this phone number.
        #[arg(long)]
        phone: Option<String>,
        /// Used, cancelled, burnt and expired codes too.
        #[arg(long)]
        all: bool,
        /// Look at the latest this many codes.
        #[arg(long, default_value_t = 200)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a code that was not used yet (a slip handed to the wrong person, a lost slip).
    Cancel {
        /// The reference number.
        #[arg(long)]
        ref_num: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn describe(c: &RaCode, now: time::OffsetDateTime, max_attempts: u32) -> serde_json::Value {
    json!({
        "refNum": c.reference.as_str(),
        "name": c.person.name.as_str(),
        "maskedPhone": c.person.phone.masked(),
        "state": c.state(now, max_attempts).as_str(),
        "attempts": c.attempts,
        "maxAttempts": max_attempts,
        "issuedDT": format_kst(c.issued_at),
        "expireDT": format_kst(c.expires_at),
        "usedDT": c.used_at.map(format_kst),
        "serial": c.serial,
        "cancelledDT": c.cancelled_at.map(format_kst),
    })
}

pub(crate) async fn run(
    instance: &Instance,
    policy: &Policy,
    clock: &dyn Clock,
    command: RaCommand,
) -> Result<ExitCode, String> {
    let store = &*instance.store;
    let now = clock.now();
    let max = policy.ra_code_max_attempts;
    match command {
        RaCommand::Issue {
            name,
            phone,
            birth,
            json,
        } => {
            let person = Person {
                name: PersonName::parse(&name).map_err(|e| e.to_string())?,
                phone: Phone::parse(&phone).map_err(|e| e.to_string())?,
                birthday: Birthday::parse(&birth, now).map_err(|e| e.to_string())?,
            };
            // A code the person could not use is refused now rather than at the app.
            if let Some(m) = store
                .member_by_phone_birthday(&person.phone, &person.birthday)
                .await
                .map_err(|e| e.to_string())?
                && m.person.name != person.name
            {
                return Err(format!(
                    "this phone number and birth date are registered under another name ({}); \
                     correct the name first",
                    m.person.name.as_str()
                ));
            }
            let (ra, code) =
                registration::issue_code(store, &instance.keys, &person, policy.ra_code_ttl, now)
                    .await
                    .map_err(|e| e.to_string())?;
            if json {
                let mut v = describe(&ra, now, max);
                if let Some(o) = v.as_object_mut() {
                    o.insert("authCode".into(), json!(code.grouped()));
                }
                say(v);
            } else {
                say(format!(
                    "registration-desk code for {} ({})",
                    ra.person.name.as_str(),
                    ra.person.phone.masked()
                ));
                say(format!("  참조번호 reference number:   {}", ra.reference));
                say(format!("  인가코드 authorisation code: {}", code.grouped()));
                say(format!(
                    "  valid until {} (KST); single use; {max} wrong tries burn it",
                    format_kst(ra.expires_at)
                ));
                say(
                    "hand both to the person (dojang-app enroll --method ra); the code is shown only now",
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RaCommand::List {
            phone,
            all,
            limit,
            json,
        } => {
            let phone = phone
                .map(|p| Phone::parse(&p).map_err(|e| e.to_string()))
                .transpose()?;
            let rows: Vec<_> = store
                .ra_codes(phone.as_ref(), limit.clamp(1, 10_000))
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|c| all || c.state(now, max) == RaCodeState::Outstanding)
                .collect();
            if json {
                say(serde_json::Value::Array(
                    rows.iter().map(|c| describe(c, now, max)).collect(),
                ));
            } else if rows.is_empty() {
                say(if all {
                    "no registration-desk codes"
                } else {
                    "no outstanding registration-desk codes (--all shows the others)"
                });
            } else {
                for c in &rows {
                    let state = c.state(now, max);
                    let extra = match (state, &c.serial) {
                        (RaCodeState::Used, Some(serial)) => format!(" → certificate {serial}"),
                        _ => String::new(),
                    };
                    say(format!(
                        "{}  {}  {}  {}  {}/{max} tries  issued {}  expires {}{extra}",
                        c.reference,
                        c.person.name.as_str(),
                        c.person.phone.masked(),
                        state.as_str(),
                        c.attempts,
                        format_kst(c.issued_at),
                        format_kst(c.expires_at),
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RaCommand::Cancel { ref_num, json } => {
            let reference = ReferenceNumber::parse(&ref_num).map_err(|e| e.to_string())?;
            match store
                .cancel_ra_code(&reference, now)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(c) => {
                    if json {
                        say(describe(&c, now, max));
                    } else {
                        say(format!("cancelled {}", c.reference));
                    }
                    Ok(ExitCode::SUCCESS)
                }
                None => Err(
                    match store.ra_code(&reference).await.map_err(|e| e.to_string())? {
                        None => {
                            format!("no registration-desk code has reference number {reference}")
                        }
                        Some(c) if c.used_at.is_some() => format!(
                            "{reference} was used already (certificate {}); revoke the certificate instead",
                            c.serial.as_deref().unwrap_or("?")
                        ),
                        Some(_) => format!("{reference} was cancelled before"),
                    },
                ),
            }
        }
    }
}
