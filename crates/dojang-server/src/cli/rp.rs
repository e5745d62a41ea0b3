//! `dojang rp …`: a relying-party client on top of `dojang-client`, for every request kind
//! (`dojang rp <kind> request|status|verify|cancel`). It prints the JSON the API answered,
//! errors included, and exits non-zero on an error answer.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use dojang_client::{Client, CreateRequest, Credentials, Kind, TokenItem};
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
    Identity(KindCommand),
    /// E-signature of one text, hash or PDF hash (전자서명).
    #[command(subcommand)]
    Sign(KindCommand),
    /// Several documents signed with one PIN entry (다건 전자서명); give each with --doc.
    #[command(subcommand)]
    MultiSign(KindCommand),
    /// Direct-debit consent (출금동의).
    #[command(subcommand)]
    DebitConsent(KindCommand),
    /// Simple login (간편로그인); verify takes the txID an app-to-app answer returned.
    #[command(subcommand)]
    Login(KindCommand),
}

#[derive(Debug, Subcommand)]
enum KindCommand {
    /// Ask a person; prints the receipt (and the binding code to show, or the scheme URL).
    Request(Box<RequestArgs>),
    /// Print the state and fields of a request.
    Status {
        /// Receipt id.
        receipt: String,
        /// Long poll: wait up to this many seconds (≤ 30) for the state to change.
        #[arg(long)]
        wait: Option<u32>,
    },
    /// Verify a signed request (once); prints the signature(s) and the person.
    Verify {
        /// Receipt id (login: the txID, or the receipt id of a pushed login).
        id: String,
    },
    /// Withdraw a waiting request.
    Cancel {
        /// Receipt id.
        receipt: String,
        /// Why (kept with the request).
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Args)]
struct RequestArgs {
    /// The person's name.
    #[arg(long)]
    name: String,
    /// Mobile number, digits only.
    #[arg(long)]
    phone: String,
    /// Birth date, YYYYMMDD.
    #[arg(long)]
    birth: String,
    /// Seconds to answer.
    #[arg(long, default_value_t = 300)]
    expire_in: i64,
    /// The text the app signs (identity, login, sign).
    #[arg(long)]
    token: Option<String>,
    /// TEXT, HASH, PDF or URL (sign; the default type of multi-sign documents).
    #[arg(long)]
    token_type: Option<String>,
    /// A multi-sign document as `TITLE|TYPE|TOKEN` (repeat for each document).
    #[arg(long = "doc")]
    docs: Vec<String>,
    /// Title shown on the app (the sign title for sign requests).
    #[arg(long)]
    title: Option<String>,
    /// Message shown at the top of the card.
    #[arg(long)]
    message: Option<String>,
    /// Call-centre number shown on the card.
    #[arg(long)]
    call_center: Option<String>,
    /// Call-centre name shown on the card.
    #[arg(long)]
    call_center_name: Option<String>,
    /// A registered alias shown as the requester.
    #[arg(long)]
    sub_client_id: Option<String>,
    /// A memo returned by status (no personal data).
    #[arg(long)]
    payload: Option<String>,
    /// allowSimpleRegistYN = true.
    #[arg(long)]
    allow_simple_regist: bool,
    /// verifyNameYN = false: find the person by phone and birth date only.
    #[arg(long)]
    no_verify_name: bool,
    /// App-to-app on the same phone, returning to this URL.
    #[arg(long, value_name = "RETURN_URL")]
    app_to_app: Option<String>,
    /// Debit consent: the corporation that will withdraw.
    #[arg(long)]
    request_corp: Option<String>,
    /// Debit consent: the bank.
    #[arg(long)]
    bank_name: Option<String>,
    /// Debit consent: the account number.
    #[arg(long)]
    bank_account_num: Option<String>,
    /// Debit consent: the account holder.
    #[arg(long)]
    bank_account_name: Option<String>,
    /// Debit consent: the holder's birth date.
    #[arg(long)]
    bank_account_birthday: Option<String>,
    /// Debit consent: CMS, FIRM or GIRO.
    #[arg(long)]
    bank_service_type: Option<String>,
    /// Send an Idempotency-Key: a repeat within 10 minutes returns the first receipt.
    #[arg(long)]
    idempotency_key: Option<String>,
    /// A JSON file whose fields are sent over the ones the flags set (any API field).
    #[arg(long)]
    body: Option<PathBuf>,
}

impl RequestArgs {
    fn into_body(self, kind: Kind) -> Result<Vec<u8>, String> {
        let docs = self
            .docs
            .iter()
            .map(|d| match d.splitn(3, '|').collect::<Vec<_>>().as_slice() {
                [title, ty, token] => Ok(TokenItem {
                    sign_title: Some((*title).to_owned()),
                    token_type: Some((*ty).to_owned()),
                    token: Some((*token).to_owned()),
                }),
                _ => Err(format!("--doc must be TITLE|TYPE|TOKEN: {d}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (req_title, sign_title) = match kind {
            Kind::Sign => (None, self.title),
            _ => (self.title, None),
        };
        let req = CreateRequest {
            receiver_name: Some(self.name),
            receiver_hp: Some(self.phone),
            receiver_birthday: Some(self.birth),
            expire_in: Some(self.expire_in),
            token: self.token,
            token_type: self.token_type,
            tokens: (!docs.is_empty()).then_some(docs),
            req_title,
            sign_title,
            extra_message: self.message,
            call_center_num: self.call_center,
            call_center_name: self.call_center_name,
            sub_client_id: self.sub_client_id,
            payload: self.payload,
            allow_simple_regist_yn: self.allow_simple_regist.then_some(true),
            verify_name_yn: self.no_verify_name.then_some(false),
            app_use_yn: self.app_to_app.is_some().then_some(true),
            return_url: self.app_to_app,
            request_corp: self.request_corp,
            bank_name: self.bank_name,
            bank_account_num: self.bank_account_num,
            bank_account_name: self.bank_account_name,
            bank_account_birthday: self.bank_account_birthday,
            bank_service_type: self.bank_service_type,
        };
        let mut value = serde_json::to_value(&req).map_err(|e| e.to_string())?;
        if let Some(path) = &self.body {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let extra: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            let (Some(target), Some(fields)) = (value.as_object_mut(), extra.as_object()) else {
                return Err(format!("{} must hold a JSON object", path.display()));
            };
            for (k, v) in fields {
                target.insert(k.clone(), v.clone());
            }
        }
        serde_json::to_vec(&value).map_err(|e| e.to_string())
    }
}

pub async fn run(args: RpArgs) -> Result<ExitCode, String> {
    let client = Client::new(
        &args.url,
        Credentials::new(args.client_code, args.link_id, args.secret),
    )
    .map_err(|e| e.to_string())?;
    let (kind, command) = match args.command {
        RpCommand::Identity(c) => (Kind::Identity, c),
        RpCommand::Sign(c) => (Kind::Sign, c),
        RpCommand::MultiSign(c) => (Kind::MultiSign, c),
        RpCommand::DebitConsent(c) => (Kind::DebitConsent, c),
        RpCommand::Login(c) => (Kind::Login, c),
    };
    let raw = match command {
        KindCommand::Request(r) => {
            let key = r.idempotency_key.clone();
            let body = r.into_body(kind)?;
            let headers: Vec<(&str, &str)> = key
                .as_deref()
                .map(|k| vec![("idempotency-key", k)])
                .unwrap_or_default();
            client
                .send_raw_with("POST", &paths::create_path(kind), &body, &headers)
                .await
        }
        KindCommand::Status { receipt, wait } => {
            let mut path = paths::status_path(kind, &receipt);
            if let Some(w) = wait {
                path.push_str(&format!("?wait={w}"));
            }
            client.send_raw("GET", &path, b"").await
        }
        KindCommand::Verify { id } => {
            client
                .send_raw("POST", &paths::verify_path(kind, &id), b"")
                .await
        }
        KindCommand::Cancel { receipt, reason } => {
            let body = serde_json::json!({ "reason": reason }).to_string();
            client
                .send_raw("POST", &paths::cancel_path(kind, &receipt), body.as_bytes())
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
