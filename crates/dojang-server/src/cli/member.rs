//! `dojang admin member …`: the people dojang knows, found by phone; a legal name change.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::{Clock, Member, Phone};
use dojang_proto::datetime::format_kst;
use serde_json::json;

use super::say;
use crate::instance::Instance;

#[derive(Debug, Subcommand)]
pub(crate) enum MemberCommand {
    /// The people registered with this phone number (any birth date), with their certificates.
    List {
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a legal name change. The person's certificates name the old name, so they are
    /// revoked (affiliationChanged) and the person must issue a new one; the app explains it.
    Rename {
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Birth date, YYYYMMDD.
        #[arg(long)]
        birth: String,
        /// The new legal name.
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn describe(m: &Member, certificates: usize, active: usize) -> serde_json::Value {
    json!({
        "memberID": m.id.to_string(),
        "name": m.person.name.as_str(),
        "phone": m.person.phone.as_str(),
        "birthday": m.person.birthday.to_compact(),
        "registeredDT": format_kst(m.created_at),
        "certificates": certificates,
        "activeCertificates": active,
    })
}

pub(crate) async fn run(
    instance: &Instance,
    clock: &dyn Clock,
    command: MemberCommand,
) -> Result<ExitCode, String> {
    let store = &instance.store;
    let now = clock.now();
    match command {
        MemberCommand::List { phone, json } => {
            let phone = Phone::parse(&phone).map_err(|e| e.to_string())?;
            let mut rows = Vec::new();
            for m in store
                .members_by_phone(&phone)
                .await
                .map_err(|e| e.to_string())?
            {
                let certs = store
                    .certificates_of(m.id)
                    .await
                    .map_err(|e| e.to_string())?;
                let active = certs.iter().filter(|c| c.is_active(now)).count();
                rows.push(describe(&m, certs.len(), active));
            }
            if json {
                say(serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                say("nobody with this phone number");
            } else {
                for r in rows {
                    let field = |k: &str| r.get(k).map(ToString::to_string).unwrap_or_default();
                    say(format!(
                        "{}  {}  {}  {}  active certificates: {}",
                        field("memberID"),
                        field("name"),
                        field("phone"),
                        field("birthday"),
                        field("activeCertificates"),
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::Rename {
            phone,
            birth,
            name,
            json,
        } => {
            let crate::service::admin::Renamed {
                member,
                name,
                revoked,
            } = crate::service::admin::rename_member(store.as_ref(), &phone, &birth, &name, now)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                say(json!({
                    "memberID": member.id.to_string(),
                    "oldName": member.person.name.as_str(),
                    "name": name.as_str(),
                    "revoked": revoked,
                }));
            } else {
                say(format!(
                    "renamed {} to {}; {} certificate(s) revoked (affiliationChanged): the person must issue a new one",
                    member.person.name.as_str(),
                    name.as_str(),
                    revoked.len()
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
