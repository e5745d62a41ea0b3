//! `dojang admin operator …`: named operator accounts of the admin console, from the shell.
//! Each command is also written to the audit log (as `cli:<OS user>`, by `admin::run`).

use clap::Subcommand;
use dojang_core::Clock;
use serde_json::json;

use super::say;
use crate::instance::Instance;
use crate::service::operators as ops;

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator; prints a random password once (or reads one line of stdin with
    /// `--password-stdin`). The operator enrols an authenticator app at the first login.
    Add {
        /// Login name: 2–32 lowercase letters, digits, `.`, `_`, `-`.
        #[arg(long)]
        login: String,
        /// The name shown in the console and the audit log [default: the login name].
        #[arg(long, default_value = "")]
        name: String,
        /// administrator, desk or support.
        #[arg(long)]
        role: String,
        /// Read the password from stdin (12–256 characters) instead of making one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List operators (never a password or secret).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an operator: its sessions end at once, on every instance.
    Disable {
        /// Login name.
        #[arg(long)]
        login: String,
    },
    /// Enable a disabled operator again.
    Enable {
        /// Login name.
        #[arg(long)]
        login: String,
    },
    /// A new password (random and printed once, or from stdin); its sessions end.
    ResetPassword {
        /// Login name.
        #[arg(long)]
        login: String,
        /// Read the password from stdin instead of making one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Forget the operator's TOTP secret: it enrols a new one at its next login; its sessions end.
    ResetTotp {
        /// Login name.
        #[arg(long)]
        login: String,
    },
    /// Change the role (the last enabled administrator keeps its).
    SetRole {
        /// Login name.
        #[arg(long)]
        login: String,
        /// administrator, desk or support.
        #[arg(long)]
        role: String,
    },
}

impl OperatorCommand {
    /// The login name the command is about (the audit log's target).
    pub fn target(&self) -> &str {
        match self {
            Self::Add { login, .. }
            | Self::Disable { login }
            | Self::Enable { login }
            | Self::ResetPassword { login, .. }
            | Self::ResetTotp { login }
            | Self::SetRole { login, .. } => login,
            Self::List { .. } => "",
        }
    }
}

fn password(from_stdin: bool) -> Result<(zeroize::Zeroizing<String>, bool), String> {
    if !from_stdin {
        return Ok((zeroize::Zeroizing::new(ops::random_password()), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let line = zeroize::Zeroizing::new(line);
    Ok((
        zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned()),
        false,
    ))
}

/// Run it; the JSON of the operator after the change (for the audit log).
pub async fn run(
    instance: &Instance,
    clock: &dyn Clock,
    command: OperatorCommand,
) -> Result<Option<serde_json::Value>, String> {
    let store = instance.store.as_ref();
    let now = clock.now();
    let err = |e: ops::OperatorError| e.to_string();
    let after = |login: &str| {
        let login = login.to_owned();
        async move {
            store
                .operator_by_login(&login)
                .await
                .ok()
                .flatten()
                .map(|o| ops::operator_json(&o))
        }
    };
    match command {
        OperatorCommand::Add {
            login,
            name,
            role,
            password_stdin,
        } => {
            let role = ops::parse_role(&role).map_err(err)?;
            let (pw, made) = password(password_stdin)?;
            let o = ops::add(store, &login, &name, role, &pw, now)
                .await
                .map_err(err)?;
            say(format!(
                "operator {} ({}) created; it enrols an authenticator app at its first login",
                o.login,
                o.role.as_str()
            ));
            if made {
                say(format!("password (shown once): {}", pw.as_str()));
            }
            Ok(Some(ops::operator_json(&o)))
        }
        OperatorCommand::List { json } => {
            let all = store.operators().await.map_err(|e| e.to_string())?;
            if json {
                say(serde_json::Value::Array(
                    all.iter().map(ops::operator_json).collect(),
                ));
            } else {
                say(format!(
                    "{:<20}  {:<13}  {:<5}  {:<8}  NAME",
                    "LOGIN", "ROLE", "TOTP", "STATE"
                ));
                for o in all {
                    say(format!(
                        "{:<20}  {:<13}  {:<5}  {:<8}  {}",
                        o.login,
                        o.role.as_str(),
                        if o.totp_confirmed_at.is_some() {
                            "yes"
                        } else {
                            "no"
                        },
                        if o.disabled_at.is_some() {
                            "disabled"
                        } else {
                            "enabled"
                        },
                        o.display_name
                    ));
                }
            }
            Ok(None)
        }
        OperatorCommand::Disable { login } => {
            ops::set_disabled(store, &login, true, now)
                .await
                .map_err(err)?;
            say(format!(
                "operator {login} disabled; its sessions have ended"
            ));
            Ok(after(&login).await)
        }
        OperatorCommand::Enable { login } => {
            ops::set_disabled(store, &login, false, now)
                .await
                .map_err(err)?;
            say(format!("operator {login} enabled"));
            Ok(after(&login).await)
        }
        OperatorCommand::ResetPassword {
            login,
            password_stdin,
        } => {
            let (pw, made) = password(password_stdin)?;
            ops::reset_password(store, &login, &pw, now)
                .await
                .map_err(err)?;
            say(format!(
                "password of {login} replaced; its sessions have ended"
            ));
            if made {
                say(format!("password (shown once): {}", pw.as_str()));
            }
            Ok(Some(json!({"password": "replaced (not recorded)"})))
        }
        OperatorCommand::ResetTotp { login } => {
            ops::reset_totp(store, &login, now).await.map_err(err)?;
            say(format!(
                "TOTP of {login} forgotten; it enrols a new authenticator at its next login"
            ));
            Ok(after(&login).await)
        }
        OperatorCommand::SetRole { login, role } => {
            let role = ops::parse_role(&role).map_err(err)?;
            ops::set_role(store, &login, role, now).await.map_err(err)?;
            say(format!("operator {login} is now {}", role.as_str()));
            Ok(after(&login).await)
        }
    }
}
