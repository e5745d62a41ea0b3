//! `dojang admin cert …`: the certificates dojang issued — list them, revoke them.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use dojang_core::{CertificateRecord, Clock, Member, Phone};
use dojang_pki::RevocationReason;
use dojang_proto::datetime::format_kst;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::admin;

#[derive(Debug, Subcommand)]
pub(crate) enum CertCommand {
    /// List certificates, newest first: serial, holder, validity, state.
    List {
        /// Only the certificates of people with this phone number.
        #[arg(long)]
        phone: Option<String>,
        /// At most this many (without --phone).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a certificate now (one by --serial, or every active one of a phone number). The
    /// holder must re-issue; the CRL and OCSP say so from the next request on.
    Revoke {
        /// The certificate's serial number, hex.
        #[arg(long, conflicts_with = "phone", required_unless_present = "phone")]
        serial: Option<String>,
        /// Every active certificate of people with this phone number (a lost phone).
        #[arg(long)]
        phone: Option<String>,
        /// Why (RFC 5280 reason).
        #[arg(long, value_enum, default_value_t = Reason::Unspecified)]
        reason: Reason,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Revocation reasons an operator may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Reason {
    /// No reason given.
    Unspecified,
    /// The key may be in someone else's hands (lost or stolen phone).
    KeyCompromise,
    /// The holder's details changed.
    AffiliationChanged,
    /// Replaced by another certificate.
    Superseded,
    /// No longer used.
    CessationOfOperation,
}

impl Reason {
    fn pki(self) -> RevocationReason {
        match self {
            Self::Unspecified => RevocationReason::Unspecified,
            Self::KeyCompromise => RevocationReason::KeyCompromise,
            Self::AffiliationChanged => RevocationReason::AffiliationChanged,
            Self::Superseded => RevocationReason::Superseded,
            Self::CessationOfOperation => RevocationReason::CessationOfOperation,
        }
    }
}

fn describe(
    c: &CertificateRecord,
    holder: Option<&Member>,
    now: time::OffsetDateTime,
) -> serde_json::Value {
    let state = admin::certificate_state(c, now);
    json!({
        "serial": c.serial,
        "holder": holder.map(|m| m.person.name.as_str()),
        "phone": holder.map(|m| m.person.phone.as_str()),
        "memberID": c.member_id.to_string(),
        "deviceID": c.device_id.to_string(),
        "notBefore": format_kst(c.not_before),
        "notAfter": format_kst(c.not_after),
        "state": state,
        "revokedDT": c.revoked_at.map(format_kst),
        "revocationReason": admin::reason_name(c.revocation_reason),
        "proof": c.proof.as_str(),
    })
}

async fn members_by_phone(instance: &Instance, phone: &str) -> Result<Vec<Member>, String> {
    let phone = Phone::parse(phone).map_err(|e| e.to_string())?;
    instance
        .store
        .members_by_phone(&phone)
        .await
        .map_err(|e| e.to_string())
}

pub(crate) async fn run(
    instance: &Instance,
    clock: &dyn Clock,
    command: CertCommand,
) -> Result<ExitCode, String> {
    let store = &instance.store;
    let now = clock.now();
    match command {
        CertCommand::List { phone, limit, json } => {
            let mut rows = Vec::new();
            if let Some(phone) = phone {
                for m in members_by_phone(instance, &phone).await? {
                    for c in store
                        .certificates_of(m.id)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        rows.push(describe(&c, Some(&m), now));
                    }
                }
            } else {
                for c in store
                    .recent_certificates(limit.clamp(1, 10_000))
                    .await
                    .map_err(|e| e.to_string())?
                {
                    let holder = store.member(c.member_id).await.map_err(|e| e.to_string())?;
                    rows.push(describe(&c, holder.as_ref(), now));
                }
            }
            if json {
                say(serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                say("no certificates");
            } else {
                for r in rows {
                    let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("?");
                    let why = r
                        .get("revocationReason")
                        .and_then(|v| v.as_str())
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default();
                    say(format!(
                        "{}  {}  {}  {}–{}  {} by {}{why}",
                        field("serial"),
                        field("holder"),
                        field("phone"),
                        field("notBefore"),
                        field("notAfter"),
                        field("state"),
                        field("proof"),
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CertCommand::Revoke {
            serial,
            phone,
            reason,
            json,
        } => {
            let serials = match (serial, phone) {
                (Some(s), _) => vec![
                    admin::parse_serial(&s)
                        .ok_or("--serial must be the certificate's serial number in hex")?,
                ],
                (None, Some(p)) => {
                    let mut all = Vec::new();
                    for m in members_by_phone(instance, &p).await? {
                        for c in store
                            .certificates_of(m.id)
                            .await
                            .map_err(|e| e.to_string())?
                        {
                            if c.revoked_at.is_none() {
                                all.push(c.serial);
                            }
                        }
                    }
                    all
                }
                (None, None) => return Err("give --serial or --phone".into()),
            };
            let mut revoked = Vec::new();
            for s in &serials {
                match admin::revoke_certificate(
                    store.as_ref(),
                    instance.hsm.as_ref(),
                    s,
                    reason.pki(),
                    now,
                )
                .await
                {
                    Ok(c) => revoked.push(c),
                    Err(
                        e @ (admin::AdminError::RevokedBefore(_)
                        | admin::AdminError::NoCertificate(_)),
                    ) => {
                        if !json {
                            eprintln!("{e}");
                        }
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
            if json {
                say(json!({
                    "revoked": revoked.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(),
                    "reason": reason.pki().as_str(),
                    "revokedDT": format_kst(now),
                }));
            } else if revoked.is_empty() {
                say("nothing revoked");
            } else {
                for c in &revoked {
                    say(format!("revoked {} ({})", c.serial, reason.pki().as_str()));
                }
            }
            // Nothing revoked (unknown serial, or revoked before): a failure for scripts.
            Ok(if revoked.is_empty() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
