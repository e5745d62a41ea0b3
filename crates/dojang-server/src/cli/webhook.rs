//! `dojang admin rp webhook …`: a relying party's callback URL and its delivery log.

use std::process::ExitCode;

use clap::Subcommand;
use dojang_core::Clock;
use dojang_proto::datetime::format_kst;
use dojang_store::{Attempt, Delivery};
use serde_json::json;

use super::say;
use crate::config::Config;
use crate::instance::Instance;

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Set the URL every state change of the relying party's requests is POSTed to. Prints
    /// the signing secret when it is new (first set, or `--new-secret`): it is shown only then.
    Set {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// `https://…` (plain `http://` and private addresses only with
        /// `insecure_allow_private_webhooks`).
        #[arg(long)]
        url: String,
        /// Replace the signing secret too (receivers must switch at once).
        #[arg(long)]
        new_secret: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the webhook; deliveries still pending are given up.
    Clear {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
    },
    /// The latest deliveries, newest first, with every attempt.
    Log {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// At most this many deliveries.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn run(
    instance: &Instance,
    config: &Config,
    clock: &dyn Clock,
    command: WebhookCommand,
) -> Result<ExitCode, String> {
    match command {
        WebhookCommand::Set {
            client_code,
            url,
            new_secret,
            json,
        } => {
            let (hook, fresh) = crate::service::admin::set_webhook(
                instance.store.as_ref(),
                &client_code,
                &url,
                new_secret,
                config.insecure_allow_private_webhooks,
                clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?;
            if json {
                let mut v = json!({
                    "clientCode": hook.client_code.as_str(),
                    "url": hook.url,
                });
                if fresh && let Some(o) = v.as_object_mut() {
                    o.insert("secret".into(), hook.secret.clone().into());
                }
                say(v);
            } else {
                say(format!(
                    "webhook of {}: {}",
                    hook.client_code.as_str(),
                    hook.url
                ));
                if fresh {
                    say(format!(
                        "signing secret (shown only now): {}\n\
                         check each POST's Dojang-Signature with it (see docs/api.md, Webhooks)",
                        hook.secret
                    ));
                } else {
                    say("signing secret unchanged");
                }
            }
        }
        WebhookCommand::Clear { client_code } => {
            let code = crate::service::admin::clear_webhook(
                instance.store.as_ref(),
                &client_code,
                clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?;
            say(format!("removed the webhook of {}", code.as_str()));
        }
        WebhookCommand::Log {
            client_code,
            limit,
            json,
        } => {
            let code = super::admin::registered(instance, &client_code).await?;
            let hook = instance
                .store
                .webhook(&code)
                .await
                .map_err(|e| e.to_string())?;
            let deliveries = instance
                .store
                .deliveries(&code, limit.clamp(1, 1000))
                .await
                .map_err(|e| e.to_string())?;
            let mut log = Vec::with_capacity(deliveries.len());
            for d in deliveries {
                let attempts = instance
                    .store
                    .attempts(d.id)
                    .await
                    .map_err(|e| e.to_string())?;
                log.push((d, attempts));
            }
            if json {
                say(json!({
                    "clientCode": code.as_str(),
                    "url": hook.as_ref().map(|h| h.url.clone()),
                    "deliveries": log.iter().map(|(d, a)| delivery_json(d, a)).collect::<Vec<_>>(),
                }));
            } else {
                say(match &hook {
                    Some(h) => format!("webhook of {}: {}", code.as_str(), h.url),
                    None => format!("{} has no webhook", code.as_str()),
                });
                if log.is_empty() {
                    say("no deliveries");
                }
                for (d, attempts) in &log {
                    say(format!(
                        "#{:<6} {}  {:<9} {}  {} after {} attempt(s)",
                        d.id,
                        format_kst(d.created_at),
                        d.event,
                        d.receipt_id,
                        d.state.as_str(),
                        d.attempts
                    ));
                    for a in attempts {
                        say(format!(
                            "          try {:<3} {}  {}  {} ms",
                            a.attempt,
                            format_kst(a.at),
                            outcome(a),
                            a.duration_ms
                        ));
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn outcome(a: &Attempt) -> String {
    match (&a.status, &a.error) {
        (Some(s), None) => format!("HTTP {s}"),
        (_, Some(e)) => e.clone(),
        (None, None) => "?".into(),
    }
}

fn delivery_json(d: &Delivery, attempts: &[Attempt]) -> serde_json::Value {
    json!({
        "deliveryID": d.id,
        "receiptID": d.receipt_id,
        "event": d.event,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "createdDT": format_kst(d.created_at),
        "finishedDT": d.finished_at.map(format_kst),
        "nextAttemptDT": (d.state == dojang_store::DeliveryState::Pending).then(|| format_kst(d.next_attempt_at)),
        "lastStatus": d.last_status,
        "lastError": d.last_error,
        "body": serde_json::from_str::<serde_json::Value>(&d.body).unwrap_or_else(|_| d.body.clone().into()),
        "tries": attempts.iter().map(|a| json!({
            "attempt": a.attempt,
            "at": format_kst(a.at),
            "url": a.url,
            "status": a.status,
            "error": a.error,
            "durationMs": a.duration_ms,
        })).collect::<Vec<_>>(),
    })
}
