//! `dojang rp …`: a relying-party client on top of `dojang-client`. It prints the JSON the API
//! answered, errors included, and exits non-zero on an error answer.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use dojang_client::{Client, Credentials, IdentityRequest};
use dojang_proto::paths;

use super::say;

/// Options of `dojang rp`.
#[derive(Debug, Args)]
pub struct RpArgs {
    /// Server URL.
    #[arg(long, env = "DOJANG_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// 12-digit client code.
    #[arg(long, env = "DOJANG_CLIENT_CODE")]
    client_code: String,
    /// LinkID.
    #[arg(long, env = "DOJANG_LINK_ID")]
    link_id: String,
    /// SecretKey (standard base64).
    #[arg(long, env = "DOJANG_SECRET", hide_env_values = true)]
    secret: String,
    #[command(subcommand)]
    command: RpCommand,
}

#[derive(Debug, Subcommand)]
enum RpCommand {
    /// Identity verification (본인인증).
    #[command(subcommand)]
    Identity(IdentityCommand),
}

#[derive(Debug, Subcommand)]
enum IdentityCommand {
    /// Ask a person to verify their identity; prints the receipt.
    Request {
        /// The person's name.
        #[arg(long)]
        name: String,
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Birth date, YYYYMMDD.
        #[arg(long)]
        birth: String,
        /// The one-time text the app signs.
        #[arg(long)]
        token: String,
        /// Title shown on the app.
        #[arg(long)]
        title: String,
        /// Seconds to answer.
        #[arg(long, default_value_t = 300)]
        expire_in: i64,
        /// Message shown at the top of the card.
        #[arg(long)]
        message: Option<String>,
        /// Call-centre number shown on the card.
        #[arg(long)]
        call_center: Option<String>,
    },
    /// Print the state of a request.
    Status {
        /// Receipt id.
        receipt: String,
    },
    /// Verify a signed request (once); prints signedData and the person.
    Verify {
        /// Receipt id.
        receipt: String,
    },
}

pub async fn run(args: RpArgs) -> Result<ExitCode, String> {
    let client = Client::new(
        &args.url,
        Credentials::new(args.client_code, args.link_id, args.secret),
    )
    .map_err(|e| e.to_string())?;
    let raw = match args.command {
        RpCommand::Identity(IdentityCommand::Request {
            name,
            phone,
            birth,
            token,
            title,
            expire_in,
            message,
            call_center,
        }) => {
            let req = IdentityRequest {
                extra_message: message,
                call_center_num: call_center,
                ..IdentityRequest::new(name, phone, birth, token, title, expire_in)
            };
            let body = serde_json::to_vec(&req).map_err(|e| e.to_string())?;
            client.send_raw("POST", paths::IDENTITY, &body).await
        }
        RpCommand::Identity(IdentityCommand::Status { receipt }) => {
            client
                .send_raw("GET", &paths::identity_status_path(&receipt), b"")
                .await
        }
        RpCommand::Identity(IdentityCommand::Verify { receipt }) => {
            client
                .send_raw("POST", &paths::identity_verify_path(&receipt), b"")
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    match serde_json::from_slice::<serde_json::Value>(&raw.body) {
        Ok(v) => say(serde_json::to_string_pretty(&v).unwrap_or_default()),
        Err(_) => say(String::from_utf8_lossy(&raw.body)),
    }
    Ok(if (200..300).contains(&raw.status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
