//! `dojang-app`: the authenticator on the command line.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use dojang_app::guest::{GuestProfile, Login};
use dojang_app::{
    AppError, Authenticator, BankEnrolment, DeskEnrolment, Enrolment, Holder, Signer, card_text,
    profile, validate_pin,
};
use dojang_proto::ErrorCode;
use dojang_proto::device::{PushMessage, RequestCard};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio_tungstenite::tungstenite::Message;

/// dojang-app — the dojang authenticator.
#[derive(Debug, Parser)]
#[command(name = "dojang-app", version)]
struct Cli {
    /// Profile directory [default: ~/.dojang-app].
    #[arg(long, global = true, env = "DOJANG_APP_PROFILE", value_name = "DIR")]
    profile: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Proofs of identity for `enroll`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Method {
    /// A one-time code sent by SMS to the phone.
    Sms,
    /// A 1-won deposit to your bank account, whose memo you type back.
    Bank,
    /// A registration desk's reference number and authorisation code.
    Ra,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Get a certificate, proving who you are by a one-time code sent to the phone (sms), a
    /// 1-won deposit to your bank account whose memo you type back (bank), or the reference
    /// number and authorisation code a registration desk gave you (ra); then choose a 6-digit
    /// PIN (scripts: env DOJANG_PIN).
    Enroll {
        /// Server URL.
        #[arg(long)]
        server: String,
        /// Legal name.
        #[arg(long)]
        name: String,
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Birth date, YYYYMMDD.
        #[arg(long)]
        birth: String,
        /// How to prove who you are.
        #[arg(long, value_enum, default_value_t = Method::Sms)]
        method: Method,
        /// bank: your bank's 3-digit code (e.g. 004).
        #[arg(long, required_if_eq("method", "bank"))]
        bank_code: Option<String>,
        /// bank: your account number (digits and '-').
        #[arg(long, required_if_eq("method", "bank"))]
        account: Option<String>,
        /// ra: the reference number (참조번호) the registration desk gave you.
        #[arg(long, required_if_eq("method", "ra"))]
        ref_num: Option<String>,
        /// ra: the authorisation code (인가코드) the registration desk gave you [asked when
        /// missing].
        #[arg(long)]
        auth_code: Option<String>,
        /// Replace an existing profile in the directory.
        #[arg(long)]
        force: bool,
    },
    /// Register this app for a person without issuing a certificate (an SMS check): requests
    /// for them reach it, and `listen` issues a certificate inside the first one.
    Login {
        /// Server URL.
        #[arg(long)]
        server: String,
        /// Legal name.
        #[arg(long)]
        name: String,
        /// Mobile number, digits only.
        #[arg(long)]
        phone: String,
        /// Birth date, YYYYMMDD.
        #[arg(long)]
        birth: String,
    },
    /// Stay connected and answer requests as they arrive.
    Listen {
        /// Approve every request with the PIN in DOJANG_PIN, picking the binding code the
        /// server reveals in development (`dev_reveal_binding_code`) (tests and demos).
        #[arg(long, conflicts_with_all = ["auto_decline", "auto_ignore"])]
        auto_approve: bool,
        /// With --auto-approve: pick a wrong binding code, as a phished person would.
        #[arg(long, requires = "auto_approve")]
        wrong_code: bool,
        /// Decline every request.
        #[arg(long, conflicts_with = "auto_ignore")]
        auto_decline: bool,
        /// Show every request and leave it unanswered (it expires).
        #[arg(long)]
        auto_ignore: bool,
        /// Print one JSON object per event instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List waiting requests (what a lost push would have shown).
    Pending {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a waiting request (asks for the PIN, or reads DOJANG_PIN).
    Approve {
        /// Receipt id.
        receipt: String,
        /// The number the relying party's page shows (asked when missing).
        #[arg(long)]
        code: Option<String>,
    },
    /// Answer an app-to-app request from its `dojang://request?receiptID=…` URL, then print
    /// where to return.
    Open {
        /// The `scheme` URL the relying party handed over.
        url: String,
    },
    /// Decline a waiting request.
    Decline {
        /// Receipt id.
        receipt: String,
        /// Why (kept for the operator).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change the PIN (asks for the current and the new one, or reads DOJANG_PIN and
    /// DOJANG_NEW_PIN). The server checks the current PIN like an unlock: wrong ones count
    /// towards the lock.
    ChangePin,
    /// Give this device's certificate up (asks for the PIN): it is revoked at once.
    Revoke,
    /// Renew the certificate with a new key, in its last 30 days (asks for the PIN).
    Renew,
    /// Issue a new certificate again (a new phone, a lost PIN, a name change): an SMS check
    /// like enrolment, for the holder of this profile unless told otherwise; the old
    /// certificate is revoked as superseded and this profile replaced.
    Reissue {
        /// Server URL [default: the profile's].
        #[arg(long)]
        server: Option<String>,
        /// Legal name [default: the profile's].
        #[arg(long)]
        name: Option<String>,
        /// Mobile number [default: the profile's].
        #[arg(long)]
        phone: Option<String>,
        /// Birth date, YYYYMMDD [default: the profile's].
        #[arg(long)]
        birth: Option<String>,
    },
    /// Show the profile: holder, device, certificate, and its state on the server.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Read one line from stdin (on a thread that may block); the prompt goes to stderr, so stdout stays the app's output
/// (one JSON object per line with `--json`).
async fn read_line(prompt: &str) -> Result<String, AppError> {
    {
        let mut out = std::io::stderr().lock();
        let _ = write!(out, "{prompt}");
        let _ = out.flush();
    }
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) => Err(AppError::Input("input ended".into())),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(e) => Err(AppError::Input(e.to_string())),
        }
    })
    .await
    .map_err(|e| AppError::Input(e.to_string()))?
}

/// The PIN: DOJANG_PIN if set, else asked (hidden on a terminal).
async fn read_pin(prompt: &str) -> Result<String, AppError> {
    if let Ok(pin) = std::env::var("DOJANG_PIN") {
        return Ok(pin);
    }
    if std::io::stdin().is_terminal() {
        let prompt = prompt.to_owned();
        return tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
            .await
            .map_err(|e| AppError::Input(e.to_string()))?
            .map_err(|e| AppError::Input(e.to_string()));
    }
    read_line(prompt).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = cli.profile.clone().unwrap_or_else(profile::default_dir);
    let result = match cli.command {
        Command::Enroll {
            server,
            name,
            phone,
            birth,
            method,
            bank_code,
            account,
            ref_num,
            auth_code,
            force,
        } => {
            let holder = Holder {
                name,
                phone,
                birthday: birth,
            };
            let how = match method {
                Method::Sms => Proof::Sms,
                Method::Bank => Proof::Bank {
                    bank_code: bank_code.unwrap_or_default(),
                    account: account.unwrap_or_default(),
                },
                Method::Ra => Proof::Desk {
                    ref_num: ref_num.unwrap_or_default(),
                    auth_code,
                },
            };
            enroll(&dir, &server, holder, how, force).await
        }
        Command::Listen {
            auto_approve,
            wrong_code,
            auto_decline,
            auto_ignore,
            json,
        } => {
            let mode = if auto_approve {
                Mode::Approve { wrong_code }
            } else if auto_decline {
                Mode::Decline
            } else if auto_ignore {
                Mode::Ignore
            } else {
                Mode::Ask
            };
            if GuestProfile::exists(&dir) {
                listen_guest(&dir, mode, json).await
            } else {
                match Authenticator::open(&dir) {
                    Ok(a) => listen(a, mode, json).await,
                    Err(e) => Err(e),
                }
            }
        }
        Command::Login {
            server,
            name,
            phone,
            birth,
        } => {
            login(
                &dir,
                &server,
                Holder {
                    name,
                    phone,
                    birthday: birth,
                },
            )
            .await
        }
        Command::Pending { json } => pending(&dir, json).await,
        Command::Approve { receipt, code } => approve(&dir, &receipt, code).await,
        Command::Open { url } => open(&dir, &url).await,
        Command::Decline { receipt, reason } => decline(&dir, &receipt, reason).await,
        Command::Status { json } => status(&dir, json).await,
        Command::Revoke => revoke(&dir).await,
        Command::Renew => renew(&dir).await,
        Command::Reissue {
            server,
            name,
            phone,
            birth,
        } => {
            let old = profile::load(&dir).ok().map(|(p, _)| p);
            let pick =
                |given: Option<String>, from: fn(&dojang_app::Profile) -> String, what: &str| {
                    given
                        .or_else(|| old.as_ref().map(from))
                        .ok_or_else(|| AppError::Input(format!("no profile here: give --{what}")))
                };
            match (
                pick(server, |p| p.server.clone(), "server"),
                pick(name, |p| p.holder.name.clone(), "name"),
                pick(phone, |p| p.holder.phone.clone(), "phone"),
                pick(birth, |p| p.holder.birthday.clone(), "birth"),
            ) {
                (Ok(server), Ok(name), Ok(phone), Ok(birthday)) => {
                    enroll(
                        &dir,
                        &server,
                        Holder {
                            name,
                            phone,
                            birthday,
                        },
                        Proof::Sms,
                        true,
                    )
                    .await
                }
                (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => Err(e),
            }
        }
        Command::ChangePin => change_pin(&dir).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dojang-app: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The proof of identity `enroll` uses, with what it needs.
enum Proof {
    Sms,
    Bank {
        bank_code: String,
        account: String,
    },
    Desk {
        ref_num: String,
        auth_code: Option<String>,
    },
}

/// Ask for the new PIN (twice on a terminal), or take DOJANG_PIN.
async fn new_pin() -> Result<String, AppError> {
    let pin = read_pin("new 6-digit PIN: ").await?;
    validate_pin(&pin)?;
    if std::env::var("DOJANG_PIN").is_err() && read_pin("repeat the PIN: ").await? != pin {
        return Err(AppError::Input("the PINs differ".into()));
    }
    Ok(pin)
}

async fn enroll(
    dir: &std::path::Path,
    server: &str,
    holder: Holder,
    how: Proof,
    force: bool,
) -> Result<(), AppError> {
    if profile::exists(dir) && !force {
        return Err(AppError::Profile(format!(
            "{} already holds a profile; use another --profile or --force",
            dir.display()
        )));
    }
    let auth = match how {
        Proof::Sms => {
            let mut enrolment = Enrolment::start(server, holder).await?;
            let started = enrolment.started().clone();
            say(format!(
                "a one-time code was sent to {} (valid {} s, {} tries)",
                started.masked_phone, started.expire_in, started.max_attempts
            ));
            let mut code = read_line("one-time code: ").await?;
            let pin = new_pin().await?;
            // The PIN's proof goes with the code: the server keeps the key's unlock secret.
            enrolment.set_pin(&pin)?;
            let completed = loop {
                match enrolment.submit_code(&code).await {
                    Ok(c) => break c,
                    Err(AppError::Api {
                        code: c, message, ..
                    }) if c == ErrorCode::OtpWrong.code() => {
                        say(message);
                        code = read_line("one-time code: ").await?;
                    }
                    Err(e) => return Err(e),
                }
            };
            enrolment.finish(dir, completed, &pin)?
        }
        Proof::Bank { bank_code, account } => {
            let mut enrolment = BankEnrolment::start(server, holder, &bank_code, &account).await?;
            let started = enrolment.started().clone();
            say(format!(
                "1 won was deposited to {} {} (the word is valid {} s, {} tries)",
                started.bank_name.as_deref().unwrap_or(&started.bank_code),
                started.masked_account,
                started.expire_in,
                started.max_attempts
            ));
            say("find the deposit in your bank app: its memo (입금자명) is a 4-syllable word");
            let mut word = read_line("word: ").await?;
            let pin = new_pin().await?;
            enrolment.set_pin(&pin)?;
            let completed = loop {
                match enrolment.submit_word(&word).await {
                    Ok(c) => break c,
                    Err(AppError::Api {
                        code: c, message, ..
                    }) if c == ErrorCode::BankWordWrong.code() => {
                        say(message);
                        word = read_line("word: ").await?;
                    }
                    Err(e) => return Err(e),
                }
            };
            enrolment.finish(dir, completed, &pin)?
        }
        Proof::Desk { ref_num, auth_code } => {
            let mut enrolment = DeskEnrolment::new(server, holder)?;
            let auth_code = match auth_code {
                Some(c) => c,
                None => read_line("authorisation code (인가코드): ").await?,
            };
            let pin = new_pin().await?;
            enrolment.set_pin(&pin)?;
            // A wrong code is not asked again: each try counts against the reference number,
            // and the person should check the slip before trying once more.
            let completed = enrolment.submit(&ref_num, &auth_code).await?;
            enrolment.finish(dir, completed, &pin)?
        }
    };
    let p = auth.profile();
    say(format!(
        "enrolled: certificate {} valid until {}",
        p.serial, p.not_after
    ));
    say(format!(
        "device {}; profile saved in {}",
        p.device_id,
        dir.display()
    ));
    Ok(())
}

enum Outcome {
    Approved,
    Declined,
    Ignored,
    Skipped,
}

/// How `listen` answers.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Ask the person.
    Ask,
    /// Approve (picking the revealed binding code, or a wrong one).
    Approve { wrong_code: bool },
    /// Decline.
    Decline,
    /// Leave unanswered.
    Ignore,
}

/// The code a scripted device picks: the one the server revealed, or (to test the phishing
/// guard) another of the choices.
fn scripted_pick(card: &RequestCard, wrong: bool) -> Result<Option<String>, AppError> {
    if card.binding_choices.is_empty() {
        return Ok(None);
    }
    let right = card.binding_code.clone().ok_or_else(|| {
        AppError::Input(
            "the server does not reveal binding codes (dev_reveal_binding_code is off): \
             answer interactively"
                .into(),
        )
    })?;
    if wrong {
        Ok(card.binding_choices.iter().find(|c| **c != right).cloned())
    } else {
        Ok(Some(right))
    }
}

/// Ask the person which of the card's numbers the site shows.
async fn ask_pick(card: &RequestCard) -> Result<Option<String>, AppError> {
    if card.binding_choices.is_empty() {
        return Ok(None);
    }
    let answer = read_line(&format!(
        "which number does the site show? [{}]: ",
        dojang_proto::text::for_display(
            &card.binding_choices.join(" / "),
            dojang_proto::text::Lines::One
        )
    ))
    .await?;
    Ok(Some(answer))
}

/// Show a card and answer it as `mode` says.
async fn handle(
    auth: &Authenticator,
    card: &RequestCard,
    mode: Mode,
    signer: Option<&Signer>,
    json: bool,
) -> Result<Outcome, AppError> {
    let now = OffsetDateTime::now_utc();
    if json {
        say(serde_json::json!({ "event": "request", "card": card }));
    } else {
        say(card_text(card, now));
    }
    let answer = match (mode, signer) {
        (Mode::Approve { wrong_code }, Some(signer)) => {
            let _ = auth.api().view(&card.receipt_id).await;
            let pick = scripted_pick(card, wrong_code)?;
            sign_and_approve(auth, card, signer, pick, json).await?;
            Outcome::Approved
        }
        (Mode::Decline, _) => {
            let _ = auth.api().view(&card.receipt_id).await;
            auth.api()
                .decline(
                    &card.receipt_id,
                    Some("declined by dojang-app --auto-decline".into()),
                )
                .await?;
            Outcome::Declined
        }
        (Mode::Ignore, _) => Outcome::Ignored,
        _ => {
            let _ = auth.api().view(&card.receipt_id).await;
            match read_line("approve? [y]es / [n]o, decline / [s]kip: ")
                .await?
                .to_lowercase()
                .as_str()
            {
                "y" | "yes" => {
                    let pick = ask_pick(card).await?;
                    let pin = read_pin("PIN: ").await?;
                    sign_and_approve(auth, card, &auth.unlock(&pin).await?, pick, json).await?;
                    Outcome::Approved
                }
                "n" | "no" => {
                    auth.api().decline(&card.receipt_id, None).await?;
                    Outcome::Declined
                }
                _ => Outcome::Skipped,
            }
        }
    };
    let word = match answer {
        Outcome::Approved => "approved",
        Outcome::Declined => "declined",
        Outcome::Ignored => "ignored",
        Outcome::Skipped => "skipped",
    };
    if json {
        say(serde_json::json!({ "event": word, "receiptID": card.receipt_id }));
    } else {
        say(format!("{word} {}", card.receipt_id));
    }
    Ok(answer)
}

async fn sign_and_approve(
    auth: &Authenticator,
    card: &RequestCard,
    signer: &Signer,
    binding_code: Option<String>,
    json: bool,
) -> Result<(), AppError> {
    let body = signer.approval(card, binding_code, OffsetDateTime::now_utc())?;
    let answered = auth.api().approve(&card.receipt_id, &body).await?;
    if let Some(url) = answered.return_url {
        if json {
            say(
                serde_json::json!({ "event": "return", "receiptID": card.receipt_id, "returnURL": url }),
            );
        } else {
            say(format!(
                "return to {}",
                dojang_proto::text::for_display(&url, dojang_proto::text::Lines::One)
            ));
        }
    }
    Ok(())
}

fn renewal_warning(days: i64) -> String {
    if days < 0 {
        "the certificate has expired: issue a new one (dojang-app reissue)".to_owned()
    } else {
        format!("the certificate expires in {days} day(s): renew it now (dojang-app renew)")
    }
}

async fn listen(auth: Authenticator, mode: Mode, json: bool) -> Result<(), AppError> {
    if let Some(days) = auth.renewal_due(OffsetDateTime::now_utc()) {
        eprintln!("dojang-app: {}", renewal_warning(days));
    }
    let signer = if matches!(mode, Mode::Approve { .. }) {
        let pin = std::env::var("DOJANG_PIN")
            .map_err(|_| AppError::Input("--auto-approve needs the PIN in DOJANG_PIN".into()))?;
        Some(auth.unlock(&pin).await?)
    } else {
        None
    };
    let mut handled: HashSet<String> = HashSet::new();
    let mut backoff = Duration::from_secs(1);
    loop {
        match auth.api().connect_push_ready().await {
            Ok(mut socket) => {
                backoff = Duration::from_secs(1);
                if json {
                    say(
                        serde_json::json!({ "event": "connected", "server": auth.profile().server }),
                    );
                } else {
                    say(format!(
                        "connected to {}; waiting for requests (Ctrl-C to stop)",
                        auth.profile().server
                    ));
                }
                // Fetch what is waiting *after* connecting, so nothing pushed meanwhile is lost.
                let mut queue: Vec<RequestCard> = auth.api().pending().await?.requests;
                loop {
                    while let Some(card) = queue.pop() {
                        if handled.insert(card.receipt_id.clone()) {
                            match handle(&auth, &card, mode, signer.as_ref(), json).await {
                                Ok(Outcome::Skipped) => {
                                    handled.remove(&card.receipt_id);
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    eprintln!("dojang-app: {} failed: {e}", card.receipt_id);
                                    let stronger = [
                                        ErrorCode::CertificateProofTooWeak.code(),
                                        ErrorCode::NameNotVerified.code(),
                                    ]
                                    .iter()
                                    .any(|c| e.code() == Some(*c));
                                    if json {
                                        say(serde_json::json!({
                                            "event": "failed",
                                            "receiptID": card.receipt_id,
                                            "code": e.code(),
                                            "message": e.to_string(),
                                            "help": stronger.then_some(dojang_app::STRONGER_CERTIFICATE_HELP),
                                        }));
                                    }
                                    if stronger {
                                        eprintln!(
                                            "dojang-app: {}",
                                            dojang_app::STRONGER_CERTIFICATE_HELP
                                        );
                                    }
                                    if e.code() == Some(ErrorCode::SignerCertificateRevoked.code())
                                        && let Ok(s) = auth.api().certificate_status().await
                                    {
                                        eprintln!(
                                            "dojang-app: {}",
                                            dojang_app::explain_revocation(
                                                s.revocation_reason.as_deref()
                                            )
                                        );
                                    }
                                }
                            }
                        }
                    }
                    let next = tokio::select! {
                        m = socket.next() => m,
                        _ = tokio::signal::ctrl_c() => return Ok(()),
                    };
                    match next {
                        Some(Ok(Message::Text(text))) => {
                            match serde_json::from_str::<PushMessage>(&text) {
                                Ok(PushMessage::Request { card }) => queue.push(*card),
                                Ok(PushMessage::Withdrawn { receipt_id, state }) => {
                                    if json {
                                        say(
                                            serde_json::json!({ "event": "withdrawn", "receiptID": receipt_id, "state": state }),
                                        );
                                    }
                                }
                                Ok(PushMessage::Hello { .. }) => {}
                                Err(e) => {
                                    eprintln!("dojang-app: ignoring an unknown push message: {e}")
                                }
                            }
                        }
                        Some(Ok(Message::Close(_))) | None => break,
                        Some(Ok(_)) => {}
                        Some(Err(e)) => {
                            eprintln!("dojang-app: push connection lost: {e}");
                            break;
                        }
                    }
                }
                eprintln!("dojang-app: disconnected; reconnecting");
            }
            // A dead credential (revoked, or locked by wrong PINs) does not come back.
            Err(
                e @ AppError::Api {
                    status: 401 | 403, ..
                },
            ) => return Err(e),
            Err(e) => eprintln!(
                "dojang-app: cannot connect ({e}); retrying in {} s",
                backoff.as_secs()
            ),
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn find_card(auth: &Authenticator, receipt: &str) -> Result<RequestCard, AppError> {
    auth.api()
        .pending()
        .await?
        .requests
        .into_iter()
        .find(|c| c.receipt_id == receipt)
        .ok_or_else(|| AppError::Input(format!("no waiting request {receipt}")))
}

async fn pending(dir: &std::path::Path, json: bool) -> Result<(), AppError> {
    let auth = Authenticator::open(dir)?;
    let cards = auth.api().pending().await?.requests;
    if json {
        say(serde_json::to_string_pretty(&cards).unwrap_or_default());
    } else if cards.is_empty() {
        say("nothing is waiting");
    } else {
        let now = OffsetDateTime::now_utc();
        for c in &cards {
            say(card_text(c, now));
        }
    }
    Ok(())
}

async fn approve(
    dir: &std::path::Path,
    receipt: &str,
    code: Option<String>,
) -> Result<(), AppError> {
    let auth = Authenticator::open(dir)?;
    let card = find_card(&auth, receipt).await?;
    say(card_text(&card, OffsetDateTime::now_utc()));
    let _ = auth.api().view(receipt).await;
    let pick = match code {
        Some(c) => Some(c),
        None => ask_pick(&card).await?,
    };
    let signer = auth.unlock(&read_pin("PIN: ").await?).await?;
    sign_and_approve(&auth, &card, &signer, pick, false).await?;
    say(format!("approved {receipt}"));
    Ok(())
}

/// What a `dojang://request?…` URL names: a receipt (`receiptID=`, 32 or 20 digits: the native
/// API's `scheme`) or an app-to-app transaction (`txID=`, 40 hex digits: kakaocert's `tx_id`).
#[derive(Debug, PartialEq, Eq)]
enum Opened<'a> {
    Receipt(&'a str),
    Tx(&'a str),
}

fn opened_by_scheme(url: &str) -> Result<Opened<'_>, AppError> {
    let bad = || AppError::Input(format!("not a dojang request URL: {url}"));
    let query = url.strip_prefix("dojang://request?").ok_or_else(bad)?;
    for pair in query.split('&') {
        if let Some(id) = pair.strip_prefix("receiptID=")
            && (id.len() == 32 || id.len() == 20)
            && id.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(Opened::Receipt(id));
        }
        if let Some(tx) = pair
            .strip_prefix("txID=")
            .or_else(|| pair.strip_prefix("tx_id="))
            && tx.len() == 40
            && tx.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Ok(Opened::Tx(tx));
        }
    }
    Err(bad())
}

async fn open(dir: &std::path::Path, url: &str) -> Result<(), AppError> {
    match opened_by_scheme(url)? {
        Opened::Receipt(receipt) => approve(dir, receipt, None).await,
        Opened::Tx(tx) => {
            // The card of a waiting app-to-app request carries its transaction id.
            let auth = Authenticator::open(dir)?;
            let pending = auth.api().pending().await?.requests;
            let card = pending
                .iter()
                .find(|c| c.tx_id.as_deref() == Some(tx))
                .ok_or_else(|| AppError::Input(format!("no waiting request for txID {tx}")))?;
            let receipt = card.receipt_id.clone();
            approve(dir, &receipt, None).await
        }
    }
}

async fn decline(
    dir: &std::path::Path,
    receipt: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    let auth = Authenticator::open(dir)?;
    auth.api().decline(receipt, reason).await?;
    say(format!("declined {receipt}"));
    Ok(())
}

/// The profile, and the certificate's state on the server when it can be reached (a
/// revoked certificate is explained).
async fn status(dir: &std::path::Path, json: bool) -> Result<(), AppError> {
    let auth = Authenticator::open(dir)?;
    let p = auth.profile();
    let server = auth.api().certificate_status().await;
    if json {
        let server = match &server {
            Ok(s) => serde_json::json!({
                "state": s.state,
                "revokedAt": s.revoked_at,
                "revocationReason": s.revocation_reason,
                "holderName": s.holder_name,
                "explanation": (s.state == "revoked")
                    .then(|| dojang_app::explain_revocation(s.revocation_reason.as_deref())),
            }),
            Err(e) => serde_json::json!({ "error": e.to_string(), "code": e.code() }),
        };
        say(serde_json::json!({
            "server": p.server,
            "deviceID": p.device_id,
            "holder": { "name": p.holder.name, "phone": p.holder.phone, "birthday": p.holder.birthday },
            "certificates": [{
                "serial": p.serial,
                "notAfter": p.not_after,
                "pem": p.certificate,
            }],
            "serial": p.serial,
            "notAfter": p.not_after,
            "certificate": p.certificate,
            "keyFile": { "version": auth.key_file().version, "needsServer": auth.key_file().needs_server() },
            "renewalDueInDays": auth.renewal_due(OffsetDateTime::now_utc()),
            "onServer": server,
        }));
    } else {
        say(format!(
            "holder:      {} ({}, {})",
            p.holder.name, p.holder.phone, p.holder.birthday
        ));
        say(format!("server:      {}", p.server));
        say(format!("device:      {}", p.device_id));
        say(format!(
            "certificate: serial {} valid until {}",
            p.serial, p.not_after
        ));
        if let Some(days) = auth.renewal_due(OffsetDateTime::now_utc()) {
            say(renewal_warning(days));
        }
        match server {
            Ok(s) if s.state == "revoked" => {
                say(format!(
                    "state:       revoked ({})",
                    s.revocation_reason.as_deref().unwrap_or("unspecified")
                ));
                say(dojang_app::explain_revocation(
                    s.revocation_reason.as_deref(),
                ));
            }
            Ok(s) => say(format!("state:       {}", s.state)),
            Err(e) => say(format!("state:       unknown ({e})")),
        }
    }
    Ok(())
}

async fn revoke(dir: &std::path::Path) -> Result<(), AppError> {
    let auth = Authenticator::open(dir)?;
    let pin = read_pin("PIN (to give this certificate up): ").await?;
    let s = auth.revoke(&pin).await?;
    say(format!(
        "certificate {} revoked; this app can no longer sign. {}",
        s.serial.as_deref().unwrap_or("(none)"),
        dojang_app::explain_revocation(s.revocation_reason.as_deref())
    ));
    Ok(())
}

async fn change_pin(dir: &std::path::Path) -> Result<(), AppError> {
    let mut auth = Authenticator::open(dir)?;
    let pin = read_pin("current PIN: ").await?;
    let new_pin = match std::env::var("DOJANG_NEW_PIN") {
        Ok(p) => p,
        Err(_) => {
            let p = read_pin("new 6-digit PIN: ").await?;
            validate_pin(&p)?;
            if read_pin("repeat the new PIN: ").await? != p {
                return Err(AppError::Input("the PINs differ".into()));
            }
            p
        }
    };
    auth.change_pin(&pin, &new_pin).await?;
    say("PIN changed");
    Ok(())
}

async fn renew(dir: &std::path::Path) -> Result<(), AppError> {
    let mut auth = Authenticator::open(dir)?;
    let pin = read_pin("PIN: ").await?;
    let renewed = auth.renew(&pin).await?;
    say(format!(
        "renewed: certificate {} valid until {} (the previous one is superseded)",
        renewed.serial, renewed.not_after
    ));
    Ok(())
}

async fn login(dir: &std::path::Path, server: &str, holder: Holder) -> Result<(), AppError> {
    if profile::exists(dir) {
        return Err(AppError::Profile(format!(
            "{} already holds a certificate; use another --profile",
            dir.display()
        )));
    }
    let login = Login::start(server, holder).await?;
    let started = login.started().clone();
    say(format!(
        "a one-time code was sent to {} (valid {} s, {} tries)",
        started.masked_phone, started.expire_in, started.max_attempts
    ));
    let code = read_line("one-time code: ").await?;
    let (guest, done) = login.complete(dir, &code).await?;
    say(format!(
        "logged in: device {} (no certificate yet{}); requests for {} will come here",
        guest.device_id,
        if done.has_certificate {
            "; you hold one on another device"
        } else {
            ""
        },
        guest.holder.name
    ));
    Ok(())
}

/// `listen` before a certificate exists: the first request that arrives is answered by issuing
/// one inside it (by SMS when the request allows simple registration, by a bank-account check
/// when it does not), then the app listens as usual with it.
async fn listen_guest(dir: &std::path::Path, mode: Mode, json: bool) -> Result<(), AppError> {
    let guest = GuestProfile::load(dir)?;
    let api = guest.api()?;
    let mut socket = api.connect_push_ready().await?;
    if json {
        say(
            serde_json::json!({ "event": "connected", "server": guest.server, "certificate": false }),
        );
    } else {
        say(format!(
            "connected to {} without a certificate; waiting for a request",
            guest.server
        ));
    }
    let mut queue: Vec<RequestCard> = api.pending().await?.requests;
    loop {
        // The first request decides: a certificate is issued inside it.
        if let Some(card) = queue.pop() {
            if json {
                say(serde_json::json!({ "event": "request", "card": card, "certificate": false }));
            } else {
                say(card_text(&card, OffsetDateTime::now_utc()));
            }
            // Issue a certificate inside this request: the proof the request allows (an SMS
            // check; or, when it does not allow simple registration, the bank account), a new
            // key, the PIN.
            // A request that needs a verified name cannot be met by an SMS certificate.
            let (auth, pin) = if card.allow_simple_regist && !card.requires_verified_name {
                let mut enrolment = Enrolment::start(&guest.server, guest.holder.clone()).await?;
                let started = enrolment.started().clone();
                if json {
                    say(
                        serde_json::json!({ "event": "issuing", "receiptID": card.receipt_id, "method": "sms", "maskedPhone": started.masked_phone }),
                    );
                } else {
                    say(format!(
                        "you have no certificate yet: issuing one now; a one-time code was sent to {}",
                        started.masked_phone
                    ));
                }
                let code = read_line("one-time code: ").await?;
                let pin = read_pin("new 6-digit PIN: ").await?;
                validate_pin(&pin)?;
                enrolment.set_pin(&pin)?;
                let done = enrolment.submit_code(&code).await?;
                (enrolment.finish(dir, done, &pin)?, pin)
            } else {
                if json {
                    say(
                        serde_json::json!({ "event": "issuing", "receiptID": card.receipt_id, "method": "bank" }),
                    );
                } else {
                    say(
                        "you have no certificate yet, and this request asks for a bank-account check: name your bank and account",
                    );
                }
                let bank_code = read_line("bank code (3 digits, e.g. 004): ").await?;
                let account = read_line("account number: ").await?;
                let mut enrolment =
                    BankEnrolment::start(&guest.server, guest.holder.clone(), &bank_code, &account)
                        .await?;
                let started = enrolment.started().clone();
                if json {
                    say(
                        serde_json::json!({ "event": "deposited", "receiptID": card.receipt_id, "maskedAccount": started.masked_account }),
                    );
                } else {
                    say(format!(
                        "1 won was deposited to {}: its memo (입금자명) is a 4-syllable word",
                        started.masked_account
                    ));
                }
                let word = read_line("word: ").await?;
                let pin = read_pin("new 6-digit PIN: ").await?;
                validate_pin(&pin)?;
                enrolment.set_pin(&pin)?;
                let done = enrolment.submit_word(&word).await?;
                (enrolment.finish(dir, done, &pin)?, pin)
            };
            GuestProfile::remove(dir)?;
            if json {
                say(serde_json::json!({ "event": "issued", "serial": auth.profile().serial }));
            } else {
                say(format!("certificate {} issued", auth.profile().serial));
            }
            let signer = auth.unlock(&pin).await?;
            handle(&auth, &card, mode, Some(&signer), json).await?;
            // This device now holds a certificate (its login was superseded): listen as usual.
            return listen(auth, mode, json).await;
        }
        let next = tokio::select! {
            m = socket.next() => m,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match next {
            Some(Ok(Message::Text(text))) => {
                if let Ok(PushMessage::Request { card }) =
                    serde_json::from_str::<PushMessage>(&text)
                {
                    queue.push(*card);
                }
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err(AppError::Input("the server closed the connection".into()));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(AppError::Input(format!("push connection lost: {e}"))),
        }
    }
}
