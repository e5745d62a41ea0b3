//! `dojang admin …`: operator commands on the data directory and database.

use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use dojang_core::party::{generate_link_id, validate_link_id, validate_party_name};
use dojang_core::request::{validate_call_center, validate_sub_client_id};
use dojang_core::settings::SUB_CLIENT_NAME_MAX_CHARS;
use dojang_core::{
    ClientCode, Clock, Phone, RelyingParty, SecretKey, SystemClock, ValidationError,
};
use dojang_store::{Alias, StoreError};
use serde_json::json;

use super::{InstanceArgs, init_logging, say};
use crate::config::LogFormat;
use crate::instance::{CaOrigin, Instance};

/// Options of `dojang admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    instance: InstanceArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Relying parties (이용기관).
    #[command(subcommand)]
    Rp(RpCommand),
    /// Certificates dojang issued: list, revoke.
    #[command(subcommand)]
    Cert(super::cert::CertCommand),
    /// People (members): find by phone, record a legal name change.
    #[command(subcommand)]
    Member(super::member::MemberCommand),
    /// The registration desk (RA): reference numbers and authorisation codes that let a person
    /// whose identity the desk checked get a certificate without SMS.
    #[command(subcommand)]
    Ra(super::ra::RaCommand),
    /// What the development gateways kept, newest first: SMS codes (channel `sms`) and 1-won
    /// deposits (channel `bank`, filed under the enrolling person's phone number).
    Outbox {
        /// Only messages to this phone number.
        #[arg(long)]
        phone: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RpCommand {
    /// Register a relying party and print its credentials (the SecretKey is shown only now).
    Add {
        /// Display name shown to people as the requester.
        #[arg(long)]
        name: String,
        /// 12-digit client code [default: random].
        #[arg(long)]
        client_code: Option<String>,
        /// LinkID [default: random RP_…].
        #[arg(long)]
        link_id: Option<String>,
        /// Call-centre number shown on the person's app.
        #[arg(long)]
        call_center: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List relying parties (no secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Aliases (`subClientID`) a relying party may name as the requester shown to people.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// The callback URL every state change of the relying party's requests is POSTed to.
    #[command(subcommand)]
    Webhook(super::webhook::WebhookCommand),
    /// The hosted login: its return URL and consent records.
    #[command(subcommand)]
    LoginPage(super::login_page::LoginPageCommand),
}

#[derive(Debug, Subcommand)]
enum AliasCommand {
    /// Register an alias: requests naming `--id` as `subClientID` show `--name`.
    Add {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// The id requests name (1–12 letters, digits, `_`, `-`).
        #[arg(long)]
        id: String,
        /// The name shown to people (1–40 characters).
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a relying party's aliases.
    List {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an alias (requests already made keep the name they showed).
    Remove {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// The alias id.
        #[arg(long)]
        id: String,
    },
}

pub async fn run(args: AdminArgs) -> Result<ExitCode, String> {
    let config = args.instance.load()?;
    let policy = config.validate().map_err(|e| e.to_string())?;
    init_logging("warn", LogFormat::Text);
    let clock = SystemClock;
    let instance = Instance::open(&config, clock.now(), &config.public_url(None))
        .await
        .map_err(|e| e.to_string())?;
    if instance.ca_origin == CaOrigin::Created {
        eprintln!(
            "created the CA: certificate {} and key {} (mode 0600)",
            instance.ca_cert_path.display(),
            instance.ca_key_path.display()
        );
    }
    match args.command {
        AdminCommand::Rp(RpCommand::Add {
            name,
            client_code,
            link_id,
            call_center,
            json,
        }) => {
            add_rp(
                &instance,
                &clock,
                name,
                client_code,
                link_id,
                call_center,
                json,
            )
            .await
        }
        AdminCommand::Rp(RpCommand::List { json }) => list_rps(&instance, json).await,
        AdminCommand::Rp(RpCommand::Alias(a)) => alias(&instance, &clock, a).await,
        AdminCommand::Rp(RpCommand::Webhook(w)) => {
            super::webhook::run(&instance, &config, &clock, w).await
        }
        AdminCommand::Rp(RpCommand::LoginPage(l)) => {
            super::login_page::run(&instance, &clock, l).await
        }
        AdminCommand::Outbox { phone, limit, json } => outbox(&instance, phone, limit, json).await,
        AdminCommand::Cert(c) => super::cert::run(&instance, &clock, c).await,
        AdminCommand::Member(m) => super::member::run(&instance, &clock, m).await,
        AdminCommand::Ra(c) => super::ra::run(&instance, &policy, &clock, c).await,
    }
}

async fn add_rp(
    instance: &Instance,
    clock: &dyn Clock,
    name: String,
    client_code: Option<String>,
    link_id: Option<String>,
    call_center: Option<String>,
    json: bool,
) -> Result<ExitCode, String> {
    let mut rng = rand::rng();
    let name = validate_party_name(&name).map_err(|e| e.to_string())?;
    let client_code: ClientCode = match client_code {
        Some(c) => c
            .parse()
            .map_err(|e: dojang_core::ValidationError| e.to_string())?,
        None => ClientCode::generate(&mut rng),
    };
    let link_id = match link_id {
        Some(l) => {
            validate_link_id(&l).map_err(|e| e.to_string())?;
            l
        }
        None => generate_link_id(&mut rng),
    };
    let call_center_num =
        validate_call_center(call_center.as_deref()).map_err(|e| e.to_string())?;
    let rp = RelyingParty {
        client_code,
        link_id,
        name,
        secret: SecretKey::generate(&mut rng),
        call_center_num,
        created_at: clock.now(),
    };
    match instance.store.insert_relying_party(&rp).await {
        Ok(()) => {}
        Err(StoreError::Conflict(what)) => {
            return Err(format!("a relying party with this {what} exists"));
        }
        Err(e) => return Err(e.to_string()),
    }
    let secret = STANDARD.encode(rp.secret.as_bytes());
    if json {
        say(json!({
            "clientCode": rp.client_code.as_str(),
            "name": rp.name,
            "linkID": rp.link_id,
            "secretKey": secret,
            "callCenterNum": rp.call_center_num,
        }));
    } else {
        say(format!("registered relying party \"{}\"", rp.name));
        say(format!("  client code: {}", rp.client_code));
        say(format!("  LinkID:      {}", rp.link_id));
        say(format!("  SecretKey:   {secret}"));
        say("keep the SecretKey secret: it signs every call of this relying party");
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_rps(instance: &Instance, json: bool) -> Result<ExitCode, String> {
    let all = instance
        .store
        .relying_parties()
        .await
        .map_err(|e| e.to_string())?;
    if json {
        let list: Vec<_> = all
            .iter()
            .map(|rp| {
                json!({
                    "clientCode": rp.client_code.as_str(),
                    "name": rp.name,
                    "linkID": rp.link_id,
                    "callCenterNum": rp.call_center_num,
                    "createdDT": dojang_proto::datetime::format_kst(rp.created_at),
                })
            })
            .collect();
        say(serde_json::Value::Array(list));
    } else if all.is_empty() {
        say("no relying parties; add one with: dojang admin rp add --name NAME");
    } else {
        say(format!(
            "{:<12}  {:<32}  {:<20}  NAME",
            "CLIENT CODE", "LINKID", "CALL CENTRE"
        ));
        for rp in all {
            say(format!(
                "{:<12}  {:<32}  {:<20}  {}",
                rp.client_code,
                rp.link_id,
                rp.call_center_num.as_deref().unwrap_or("-"),
                rp.name
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A client code of a registered relying party.
pub(super) async fn registered(instance: &Instance, code: &str) -> Result<ClientCode, String> {
    let code: ClientCode = code
        .parse()
        .map_err(|e: dojang_core::ValidationError| e.to_string())?;
    match instance.store.relying_party(&code).await {
        Ok(Some(_)) => Ok(code),
        Ok(None) => Err(format!("no relying party has client code {code}")),
        Err(e) => Err(e.to_string()),
    }
}

async fn alias(
    instance: &Instance,
    clock: &dyn Clock,
    command: AliasCommand,
) -> Result<ExitCode, String> {
    match command {
        AliasCommand::Add {
            client_code,
            id,
            name,
            json,
        } => {
            let client_code = registered(instance, &client_code).await?;
            let id = validate_sub_client_id(id.trim()).map_err(|e| e.to_string())?;
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > SUB_CLIENT_NAME_MAX_CHARS {
                return Err(ValidationError::SubClientNameInvalid.to_string());
            }
            let a = Alias {
                client_code,
                sub_client_id: id,
                name,
                created_at: clock.now(),
            };
            match instance.store.insert_alias(&a).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    return Err(format!(
                        "{} already has an alias {}",
                        a.client_code, a.sub_client_id
                    ));
                }
                Err(e) => return Err(e.to_string()),
            }
            if json {
                say(alias_json(&a));
            } else {
                say(format!(
                    "alias {} of {}: requests naming it show \"{}\"",
                    a.sub_client_id, a.client_code, a.name
                ));
            }
        }
        AliasCommand::List { client_code, json } => {
            let client_code = registered(instance, &client_code).await?;
            let all = instance
                .store
                .aliases(&client_code)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                say(serde_json::Value::Array(
                    all.iter().map(alias_json).collect(),
                ));
            } else if all.is_empty() {
                say("no aliases");
            } else {
                for a in all {
                    say(format!("{:<12}  {}", a.sub_client_id, a.name));
                }
            }
        }
        AliasCommand::Remove { client_code, id } => {
            let client_code = registered(instance, &client_code).await?;
            if !instance
                .store
                .remove_alias(&client_code, id.trim())
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("{client_code} has no alias {id}"));
            }
            say(format!("removed alias {id} of {client_code}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn alias_json(a: &Alias) -> serde_json::Value {
    json!({
        "clientCode": a.client_code.as_str(),
        "subClientID": a.sub_client_id,
        "name": a.name,
        "createdDT": dojang_proto::datetime::format_kst(a.created_at),
    })
}

async fn outbox(
    instance: &Instance,
    phone: Option<String>,
    limit: u32,
    json: bool,
) -> Result<ExitCode, String> {
    let phone = phone
        .map(|p| Phone::parse(&p).map_err(|e| e.to_string()))
        .transpose()?;
    let messages = instance
        .store
        .outbox(phone.as_ref(), limit)
        .await
        .map_err(|e| e.to_string())?;
    if json {
        let list: Vec<_> = messages
            .iter()
            .map(|m| {
                json!({
                    "channel": m.channel,
                    "to": m.recipient.as_str(),
                    "text": m.body,
                    "sentDT": dojang_proto::datetime::format_kst(m.created_at),
                })
            })
            .collect();
        say(serde_json::Value::Array(list));
    } else if messages.is_empty() {
        say("no messages");
    } else {
        for m in messages {
            say(format!(
                "{}  {:<4}  {}  {}",
                dojang_proto::datetime::format_kst(m.created_at),
                m.channel,
                m.recipient.as_str(),
                m.body
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
