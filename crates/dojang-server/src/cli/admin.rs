//! `dojang admin …`: operator commands on the data directory and database.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use dojang_core::{ClientCode, Clock, Phone, SystemClock};
use dojang_store::Alias;
use serde_json::json;

use super::{InstanceArgs, init_logging, say};
use crate::config::LogFormat;
use crate::instance::{CaOrigin, Instance};
use crate::service::admin;

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
    /// The password of the admin console's first administrator, `admin`.
    #[command(subcommand)]
    Password(PasswordCommand),
    /// Named operator accounts of the admin console: add, list, disable, enable,
    /// reset-password, reset-totp, set-role.
    #[command(subcommand)]
    Operator(super::operator::OperatorCommand),
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
enum PasswordCommand {
    /// Store a new password of the operator `admin`, read from stdin (one line), and end its
    /// sessions (`dojang admin operator reset-password --login admin --password-stdin`).
    /// A `[admin] password_hash` in the configuration wins over it at the next start.
    Set,
    /// Print the Argon2id PHC string of a password read from stdin, for `[admin] password_hash`.
    Hash,
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
    /// The cloud certificate's SDK: the publishable key, origins and stylesheets.
    #[command(subcommand)]
    Cloud(super::cloud::CloudCommand),
    /// Mark a relying party as a test party, inside the test console's sandbox: its requests
    /// may reach sandbox people and it accepts their sandbox certificates. Every other party is
    /// outside: to it sandbox people do not exist and their signatures are refused (-10500012).
    Sandbox {
        /// The relying party's client code.
        #[arg(long)]
        client_code: String,
        /// Unmark it instead.
        #[arg(long)]
        off: bool,
    },
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
    // `password hash` only prints a line for a configuration file: it must not create a data
    // directory, a CA and a database where it happens to run.
    if matches!(args.command, AdminCommand::Password(PasswordCommand::Hash)) {
        say(read_password_hash()?);
        return Ok(ExitCode::SUCCESS);
    }
    let clock = SystemClock;
    let instance = Instance::open(&config, clock.now(), &config.public_url(None))
        .await
        .map_err(|e| e.to_string())?;
    if instance.ca_origin == CaOrigin::Created {
        eprintln!(
            "created the CA: certificate {} and key {}",
            instance.ca_cert_path.display(),
            instance.ca_key
        );
    }
    let action = action_name(&args.command);
    let target = match &args.command {
        AdminCommand::Operator(o) => o.target().to_owned(),
        _ => String::new(),
    };
    let mut after = None;
    let result = match args.command {
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
        AdminCommand::Rp(RpCommand::Cloud(c)) => super::cloud::run(&instance, &clock, c).await,
        AdminCommand::Rp(RpCommand::Sandbox { client_code, off }) => {
            let code = registered(&instance, &client_code).await?;
            instance
                .store
                .set_sandbox_party(&code, !off)
                .await
                .map_err(|e| e.to_string())?;
            say(if off {
                format!("{code} is a real relying party: sandbox people do not exist for it")
            } else {
                format!(
                    "{code} is a test party: its requests may reach sandbox people and it accepts sandbox certificates"
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::Password(p) => password(&instance, &config, &clock, p).await,
        AdminCommand::Outbox { phone, limit, json } => outbox(&instance, phone, limit, json).await,
        AdminCommand::Cert(c) => super::cert::run(&instance, &clock, c).await,
        AdminCommand::Member(m) => super::member::run(&instance, &clock, m).await,
        AdminCommand::Ra(c) => super::ra::run(&instance, &policy, &clock, c).await,
        AdminCommand::Operator(o) => super::operator::run(&instance, &clock, o).await.map(|a| {
            after = a;
            ExitCode::SUCCESS
        }),
    };
    // Every command is in the audit log, as the OS user who ran it.
    let ok = result.is_ok();
    let after = match &result {
        Ok(_) => after,
        Err(e) => Some(json!({ "error": e })),
    };
    crate::service::operators::record(
        instance.store.as_ref(),
        &crate::service::operators::Actor::cli(),
        clock.now(),
        &action,
        &target,
        None,
        after,
        ok,
    )
    .await;
    result
}

/// The command as a stable action name: `cli.` and its subcommand path in snake case, from the
/// parsed command's variant names (never its arguments), e.g. `cli.rp.webhook.set`.
fn action_name(command: &AdminCommand) -> String {
    let debug = format!("{command:?}");
    let mut parts = Vec::new();
    let mut rest = debug.as_str();
    loop {
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() {
            break;
        }
        let mut snake = String::new();
        for (i, c) in word.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            } else {
                snake.push(c);
            }
        }
        parts.push(snake);
        match rest[end..].strip_prefix('(') {
            Some(next) => rest = next,
            None => break,
        }
    }
    format!("cli.{}", parts.join("."))
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
    let rp = admin::add_relying_party(
        instance.store.as_ref(),
        &name,
        client_code.as_deref(),
        link_id.as_deref(),
        call_center.as_deref(),
        clock.now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let secret = admin::secret_text(&rp);
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

/// The Argon2id PHC string of a password read as one line of stdin.
fn read_password_hash() -> Result<String, String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!(
            "new admin password (at least {} characters): ",
            admin::PASSWORD_MIN_CHARS
        );
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let line = zeroize::Zeroizing::new(line);
    let password = line.trim_end_matches(['\r', '\n']);
    admin::hash_password(password).map_err(|e| e.to_string())
}

/// `dojang admin password set|hash`: the password is one line of stdin.
async fn password(
    instance: &Instance,
    config: &crate::config::Config,
    clock: &dyn Clock,
    command: PasswordCommand,
) -> Result<ExitCode, String> {
    let phc = read_password_hash()?;
    match command {
        PasswordCommand::Hash => say(phc),
        PasswordCommand::Set => {
            let store = instance.store.as_ref();
            let admin = crate::service::operators::FIRST_ADMIN;
            match store
                .operator_by_login(admin)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(op) => {
                    store
                        .set_operator_password(op.id, &phc, clock.now())
                        .await
                        .map_err(|e| e.to_string())?;
                }
                None => {
                    crate::service::operators::sync_configured_admin(store, &phc, clock.now())
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
            say("password of the operator admin set; its sessions have ended");
            if !config.admin.password_hash.expose().is_empty() {
                eprintln!(
                    "note: [admin] password_hash in the configuration replaces it at the next start"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_rps(instance: &Instance, json: bool) -> Result<ExitCode, String> {
    let all = instance
        .store
        .relying_parties()
        .await
        .map_err(|e| e.to_string())?;
    let mut test = Vec::with_capacity(all.len());
    for rp in &all {
        test.push(
            instance
                .store
                .is_sandbox_party(&rp.client_code)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    if json {
        let list: Vec<_> = all
            .iter()
            .zip(&test)
            .map(|(rp, test)| {
                json!({
                    "clientCode": rp.client_code.as_str(),
                    "name": rp.name,
                    "linkID": rp.link_id,
                    "callCenterNum": rp.call_center_num,
                    "createdDT": dojang_proto::datetime::format_kst(rp.created_at),
                    "testParty": test,
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
        for (rp, test) in all.iter().zip(&test) {
            say(format!(
                "{:<12}  {:<32}  {:<20}  {}{}",
                rp.client_code,
                rp.link_id,
                rp.call_center_num.as_deref().unwrap_or("-"),
                rp.name,
                if *test { "  (test party: sandbox)" } else { "" }
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A client code of a registered relying party.
pub(super) async fn registered(instance: &Instance, code: &str) -> Result<ClientCode, String> {
    admin::registered(instance.store.as_ref(), code)
        .await
        .map(|rp| rp.client_code)
        .map_err(|e| e.to_string())
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
            let a = admin::add_alias(
                instance.store.as_ref(),
                &client_code,
                &id,
                &name,
                clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?;
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
            admin::remove_alias(instance.store.as_ref(), &client_code, &id)
                .await
                .map_err(|e| e.to_string())?;
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
