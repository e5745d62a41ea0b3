//! Sandbox people: test persons whose authenticator runs inside this server and answers every
//! request by itself, so an integrator can try the whole life cycle without a phone.
//!
//! A sandbox person is enrolled for real: the server issues a registration-desk code for them
//! (`service::registration::issue_code`, as `dojang admin ra issue` does), and a
//! `dojang_app::DeskEnrolment` redeems it over HTTP on this server's own listener, so the person
//! gets a real certificate from this CA with a key made in memory here. The virtual device then
//! keeps its push WebSocket open and answers each request with the chosen outcome after the
//! chosen delay, through the same device API a phone uses.
//!
//! The registry lives in memory only: sandbox people vanish at restart (their certificates
//! stay in the database). Only `[console] sandbox = true` lets anyone add one, and at most
//! `sandbox_max_people` run at once. A sandbox person never replaces a person who already holds
//! a certificate.
//!
//! Issue 14 #8: each person belongs to the console browser that made them (a keyed hash of its
//! `dojang_console` cookie, kept with them here and in `sandbox_people`): a browser lists and
//! removes only its own, by a random public id. A phone number that belongs to a real member
//! is refused whatever the birth date. The certificate comes from the sandbox CA
//! (`crate::instance`), and only relying parties marked as test parties may send a sandbox
//! person requests or accept their signatures (`service::issuer_of`, `sandbox_allowed`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use dojang_app::{AppError, DeskEnrolment, DeviceApi, Holder, Signer};
use dojang_core::{Birthday, Person, PersonName, Phone, ReceiptId};
use dojang_proto::device::{PushMessage, RequestCard};
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::config::ConsoleConfig;
use crate::http::error::ApiError;
use crate::pages::web;
use crate::state::AppState;

/// The longest answer delay, seconds.
pub const MAX_DELAY_SECS: u64 = 600;

/// How a sandbox person answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Pick the right binding code and sign (state 1).
    Approve,
    /// Decline (state 3).
    Decline,
    /// Pick a wrong binding code, as a phished person would (state 3, `binding code mismatch`).
    WrongCode,
    /// Open the request and never answer (state 2 at expiry).
    Expire,
}

impl Outcome {
    /// Every outcome, in the order the form offers them.
    pub const ALL: [Outcome; 4] = [
        Outcome::Approve,
        Outcome::Decline,
        Outcome::WrongCode,
        Outcome::Expire,
    ];

    /// The form value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Decline => "decline",
            Outcome::WrongCode => "wrong-code",
            Outcome::Expire => "expire",
        }
    }

    /// From the form value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What a sandbox person has done so far.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Whether the push WebSocket is open.
    pub connected: bool,
    /// Requests answered (or left to expire).
    pub answered: u32,
    /// The last thing done, e.g. `approve 2611…` or an error.
    pub last: Option<String>,
}

/// One running sandbox person.
#[derive(Debug)]
pub struct SandboxPerson {
    /// Random public id (24 hex digits): what the page and the remove form name them by.
    pub id: String,
    /// Keyed hash of the console cookie of the browser that made them.
    owner: Vec<u8>,
    /// Name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Birth date, `YYYYMMDD`.
    pub birthday: String,
    /// How they answer.
    pub outcome: Outcome,
    /// After how long.
    pub delay: Duration,
    stop: CancellationToken,
    activity: Mutex<Activity>,
}

impl SandboxPerson {
    fn activity(&self) -> MutexGuard<'_, Activity> {
        // A panic while holding this lock cannot leave it inconsistent (plain fields).
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of what they have done.
    pub fn snapshot(&self) -> Activity {
        self.activity().clone()
    }

    fn note(&self, f: impl FnOnce(&mut Activity)) {
        f(&mut self.activity());
    }
}

/// The registry of sandbox people.
#[derive(Debug)]
pub struct Sandbox {
    enabled: bool,
    max: usize,
    people: Mutex<Vec<Arc<SandboxPerson>>>,
    /// Phone and birth date of people being enrolled right now, so two adds of the same
    /// person cannot both enrol (the second would supersede the first's certificate).
    enrolling: Mutex<HashSet<(String, String)>>,
}

/// A person being enrolled; released when dropped.
struct Reservation<'a> {
    sandbox: &'a Sandbox,
    key: (String, String),
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.sandbox.enrolling().remove(&self.key);
    }
}

/// Why a sandbox person could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// `[console] sandbox` is off.
    #[error("the sandbox is off on this server")]
    Disabled,
    /// `sandbox_max_people` are running.
    #[error("too many sandbox people")]
    Full,
    /// The outcome or delay is not one the form offers.
    #[error("bad outcome or delay")]
    BadChoice,
    /// This phone number and birth date already belong to someone.
    #[error("this person already exists")]
    Taken,
    /// This phone number belongs to a real (non-sandbox) member, whatever the birth date.
    #[error("this phone number belongs to a real member")]
    RealMember,
    /// The person's details, or a server step, failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The virtual device's enrolment or push connection failed.
    #[error("virtual device: {0}")]
    Device(#[from] AppError),
}

impl Sandbox {
    /// An empty registry.
    pub fn new(config: &ConsoleConfig) -> Self {
        Self {
            enabled: config.sandbox,
            max: usize::try_from(config.sandbox_max_people).unwrap_or(20),
            people: Mutex::new(Vec::new()),
            enrolling: Mutex::new(HashSet::new()),
        }
    }

    fn enrolling(&self) -> MutexGuard<'_, HashSet<(String, String)>> {
        // Holds only a set; a panic elsewhere cannot leave it half-changed.
        self.enrolling.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserve a phone and birth date for one enrolment, unless someone running or being
    /// enrolled has them.
    /// Those being enrolled count against the cap, so two adds racing for the last place cannot
    /// both enrol (and leave one certificate nobody lists).
    fn reserve(&self, phone: &str, birthday: &str) -> Result<Reservation<'_>, AddError> {
        let key = (phone.to_owned(), birthday.to_owned());
        let people = self.people();
        let mut enrolling = self.enrolling();
        let running = people
            .iter()
            .any(|p| p.phone == phone && p.birthday == birthday);
        if running || enrolling.contains(&key) {
            return Err(AddError::Taken);
        }
        if people.len() + enrolling.len() >= self.max {
            return Err(AddError::Full);
        }
        enrolling.insert(key.clone());
        Ok(Reservation { sandbox: self, key })
    }

    /// Whether sandbox people may be added.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The most that may run at once.
    pub fn max(&self) -> usize {
        self.max
    }

    fn people(&self) -> MutexGuard<'_, Vec<Arc<SandboxPerson>>> {
        // Holds only a list; a panic elsewhere cannot leave it half-changed.
        self.people.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The people the browser with this console cookie made, oldest first.
    pub fn list(&self, state: &AppState, browser: &str) -> Vec<Arc<SandboxPerson>> {
        let owner = owner_of(state, browser);
        self.people()
            .iter()
            .filter(|p| p.owner == owner)
            .cloned()
            .collect()
    }

    /// How many run, whoever made them.
    pub fn running(&self) -> usize {
        self.people().len()
    }

    /// Stop and forget one of this browser's people; whether they were there. Another
    /// browser's person is not there, exactly like one that never was.
    pub fn remove(&self, state: &AppState, browser: &str, id: &str) -> bool {
        let owner = owner_of(state, browser);
        let mut people = self.people();
        match people.iter().position(|p| p.id == id && p.owner == owner) {
            Some(at) => {
                let p = people.remove(at);
                p.stop.cancel();
                true
            }
            None => false,
        }
    }
}

/// The owner of what the browser with this console cookie makes: a keyed hash of the cookie.
fn owner_of(state: &AppState, browser: &str) -> Vec<u8> {
    state.keys.lookup("console-sandbox-owner", &[browser])
}

/// What the add form asks.
#[derive(Debug, Clone)]
pub struct NewPerson {
    /// Name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Birth date.
    pub birthday: String,
    /// Outcome (form value).
    pub outcome: String,
    /// Delay in seconds (form value).
    pub delay: String,
}

/// Enrol a sandbox person through the device API and start their virtual authenticator.
/// Returns when the push connection is open, so a request made next reaches it.
pub async fn add(
    state: &AppState,
    browser: &str,
    new: &NewPerson,
) -> Result<Arc<SandboxPerson>, AddError> {
    let sandbox = &state.sandbox;
    if !sandbox.enabled || state.sandbox_ca.is_none() {
        return Err(AddError::Disabled);
    }
    if sandbox.people().len() >= sandbox.max {
        return Err(AddError::Full);
    }
    let outcome = Outcome::parse(new.outcome.trim()).ok_or(AddError::BadChoice)?;
    let delay = new
        .delay
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|d| *d <= MAX_DELAY_SECS)
        .ok_or(AddError::BadChoice)?;
    let now = state.clock.now();
    let person = Person {
        name: PersonName::parse(new.name.trim()).map_err(ApiError::from)?,
        phone: Phone::parse(new.phone.trim()).map_err(ApiError::from)?,
        birthday: Birthday::parse(new.birthday.trim(), now).map_err(ApiError::from)?,
    };
    let _reservation = sandbox.reserve(person.phone.as_str(), &person.birthday.to_compact())?;
    // Never a real member's phone number, whatever the birth date: a sandbox person must not
    // be mistaken for them, nor receive what is meant for them.
    for m in state
        .store
        .members_by_phone(&person.phone)
        .await
        .map_err(ApiError::from)?
    {
        if state
            .store
            .sandbox_owner(m.id)
            .await
            .map_err(ApiError::from)?
            .is_none()
        {
            return Err(AddError::RealMember);
        }
    }
    // Nor another sandbox person's (enrolment would supersede their certificate).
    if state
        .store
        .member_by_phone_birthday(&person.phone, &person.birthday)
        .await
        .map_err(ApiError::from)?
        .is_some()
    {
        return Err(AddError::Taken);
    }
    let owner = owner_of(state, browser);
    let (ra, code) = crate::service::registration::issue_code(
        &*state.store,
        &state.keys,
        &person,
        state.policy.ra_code_ttl,
        now,
    )
    .await
    .map_err(ApiError::from)?;
    // Noted before the code is redeemed: the redemption issues from the sandbox CA.
    state
        .store
        .insert_sandbox_person(ra.reference.as_str(), &owner, now)
        .await
        .map_err(ApiError::from)?;
    let holder = Holder {
        name: person.name.as_str().to_owned(),
        phone: person.phone.as_str().to_owned(),
        birthday: person.birthday.to_compact(),
    };
    let enrolment = DeskEnrolment::new(&state.self_url, holder.clone())?;
    let completed = enrolment
        .submit(ra.reference.as_str(), &code.grouped())
        .await?;
    let (api, signer) = enrolment.into_device(&completed)?;
    let socket = api.connect_push_ready().await?;
    let entry = Arc::new(SandboxPerson {
        id: web::random_hex(12),
        owner,
        name: holder.name,
        phone: holder.phone,
        birthday: holder.birthday,
        outcome,
        delay: Duration::from_secs(delay),
        stop: CancellationToken::new(),
        activity: Mutex::new(Activity {
            connected: true,
            ..Activity::default()
        }),
    });
    {
        let mut people = sandbox.people();
        if people.len() >= sandbox.max {
            return Err(AddError::Full);
        }
        people.push(entry.clone());
    }
    tracing::info!(
        id = %entry.id,
        outcome = outcome.as_str(),
        "sandbox person added"
    );
    tokio::spawn(listen(
        state.clone(),
        entry.clone(),
        Arc::new(api),
        Arc::new(signer),
        socket,
    ));
    Ok(entry)
}

/// The virtual authenticator: answer what is pending, then every pushed card; reconnect when
/// the connection drops; stop when removed or when the server shuts down.
async fn listen(
    state: AppState,
    person: Arc<SandboxPerson>,
    api: Arc<DeviceApi>,
    signer: Arc<Signer>,
    mut socket: dojang_app::api::PushSocket,
) {
    let mut handled: HashSet<String> = HashSet::new();
    loop {
        // What is waiting after (re)connecting, so nothing pushed meanwhile is lost.
        let mut queue = match api.pending().await {
            Ok(p) => {
                handled.retain(|id| p.requests.iter().any(|c| c.receipt_id == *id));
                p.requests
            }
            Err(e) => {
                person.note(|a| a.last = Some(format!("error: {e}")));
                Vec::new()
            }
        };
        loop {
            for card in queue.drain(..) {
                if handled.insert(card.receipt_id.clone()) {
                    tokio::spawn(answer(
                        state.clone(),
                        person.clone(),
                        api.clone(),
                        signer.clone(),
                        card,
                    ));
                }
            }
            let next = tokio::select! {
                () = person.stop.cancelled() => return,
                () = state.shutdown.cancelled() => return,
                m = socket.next() => m,
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(PushMessage::Request { card }) =
                        serde_json::from_str::<PushMessage>(&text)
                    {
                        queue.push(*card);
                    }
                    // Forget answered requests now and then, so the set stays small however
                    // many requests this person receives.
                    if handled.len() > 256
                        && let Ok(p) = api.pending().await
                    {
                        handled.retain(|id| p.requests.iter().any(|c| c.receipt_id == *id));
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            }
        }
        person.note(|a| a.connected = false);
        loop {
            tokio::select! {
                () = person.stop.cancelled() => return,
                () = state.shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
            match api.connect_push_ready().await {
                Ok(s) => {
                    socket = s;
                    person.note(|a| a.connected = true);
                    break;
                }
                Err(e) => person.note(|a| a.last = Some(format!("error: {e}"))),
            }
        }
    }
}

/// Open the card at once (the timeline shows it viewed), wait the delay, then answer.
async fn answer(
    state: AppState,
    person: Arc<SandboxPerson>,
    api: Arc<DeviceApi>,
    signer: Arc<Signer>,
    card: RequestCard,
) {
    let _ = api.view(&card.receipt_id).await;
    tokio::select! {
        () = person.stop.cancelled() => return,
        () = state.shutdown.cancelled() => return,
        () = tokio::time::sleep(person.delay) => {}
    }
    let result = match person.outcome {
        Outcome::Approve | Outcome::WrongCode => {
            let pick = pick(&state, &card, person.outcome == Outcome::WrongCode).await;
            match signer.approval(&card, pick, state.clock.now()) {
                Ok(body) => api.approve(&card.receipt_id, &body).await.map(|_| ()),
                Err(e) => Err(e),
            }
        }
        Outcome::Decline => api
            .decline(&card.receipt_id, Some("sandbox person declined".into()))
            .await
            .map(|_| ()),
        Outcome::Expire => Ok(()),
    };
    let what = match result {
        Ok(()) => format!("{} {}", person.outcome.as_str(), card.receipt_id),
        Err(e) => format!("error {}: {e}", card.receipt_id),
    };
    person.note(|a| {
        a.answered = a.answered.saturating_add(1);
        a.last = Some(what);
    });
}

/// The binding code the sandbox person picks. A person reads the right one off the relying
/// party's page; the sandbox person reads it from the request itself (this server's own
/// record), so `dev_reveal_binding_code` can stay off. `wrong` picks another of the choices.
async fn pick(state: &AppState, card: &RequestCard, wrong: bool) -> Option<String> {
    if card.binding_choices.is_empty() {
        return None;
    }
    let right = match card.receipt_id.parse::<ReceiptId>() {
        Ok(id) => state
            .store
            .request(&id)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.binding_code),
        Err(_) => None,
    };
    if wrong {
        card.binding_choices
            .iter()
            .find(|c| Some(*c) != right.as_ref())
            .cloned()
    } else {
        right
    }
}
