//! How 1-won deposits reach bank accounts (bank-account enrolment): the [`BankGateway`] trait and
//! its two implementations, the twins of the SMS gateways in [`crate::sms`].
//!
//! * [`OutboxGateway`] (development and tests) keeps every deposit in the database's outbox
//!   (channel `bank`, filed under the enrolling person's phone number), encrypted like all
//!   personal data; `dojang admin outbox` shows them. No bank is involved and no account holder
//!   is checked.
//! * [`HttpGateway`] POSTs the deposit as JSON to a configured URL with a bearer token: put an
//!   open-banking provider's adapter behind it. The adapter must deposit only into an account
//!   held by the named person (open banking's real-name inquiry) and answer 422 otherwise.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dojang_core::bank::{AccountNumber, BankCode, TransferWord};
use dojang_core::{Clock, OutboxMessage, Person};
use dojang_store::Store;

use crate::config::{BankConfig, BankGatewayKind};

/// Why a deposit could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BankError {
    /// The database refused the outbox row.
    #[error("outbox: {0}")]
    Store(#[from] dojang_store::StoreError),
    /// The provider could not be reached.
    #[error("provider unreachable: {0}")]
    Transport(String),
    /// The provider answered with an unexpected error status.
    #[error("provider answered HTTP {0}")]
    Rejected(u16),
    /// The provider refused the account: unknown, closed, or not held by the named person.
    #[error("the provider refused the account")]
    AccountRefused,
}

/// A 1-won deposit whose memo (the text the holder's statement shows) is the word. `Debug`
/// prints neither the account nor the word.
#[derive(Clone)]
pub struct Deposit {
    /// The bank.
    pub bank: BankCode,
    /// The account.
    pub account: AccountNumber,
    /// Who must hold the account.
    pub holder: Person,
    /// The memo.
    pub word: TransferWord,
}

impl Deposit {
    /// Always 1 won.
    pub const AMOUNT: u32 = 1;
}

impl std::fmt::Debug for Deposit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deposit")
            .field("bank", &self.bank)
            .field("account", &"***")
            .field("word", &"***")
            .finish_non_exhaustive()
    }
}

/// Deposits 1 won with a memo.
#[async_trait]
pub trait BankGateway: Send + Sync + std::fmt::Debug {
    /// Make the deposit, or refuse the account.
    async fn deposit(&self, d: &Deposit) -> Result<(), BankError>;
}

/// What the development outbox keeps for a deposit. The word follows `memo ` (tests and
/// scripts read it from there).
pub fn outbox_text(d: &Deposit) -> String {
    let bank = d.bank.name().unwrap_or(d.bank.as_str());
    format!(
        "[dojang] {bank}({}) {} 계좌로 {}원 입금, 입금자명 {}. Deposited {} won to {} {}, memo {}",
        d.bank.as_str(),
        d.account.as_str(),
        Deposit::AMOUNT,
        d.word.as_str(),
        Deposit::AMOUNT,
        d.bank.as_str(),
        d.account.as_str(),
        d.word.as_str(),
    )
}

/// Keeps deposits in the database instead of making them.
#[derive(Debug)]
pub struct OutboxGateway {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl OutboxGateway {
    /// A gateway writing to `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl BankGateway for OutboxGateway {
    async fn deposit(&self, d: &Deposit) -> Result<(), BankError> {
        self.store
            .insert_outbox(&OutboxMessage {
                channel: "bank".into(),
                recipient: d.holder.phone.clone(),
                body: outbox_text(d),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(())
    }
}

/// Deposits through a provider's HTTP API.
#[derive(Debug)]
pub struct HttpGateway {
    http: reqwest::Client,
    url: String,
    token: crate::config::Secret,
}

impl HttpGateway {
    /// A gateway for `config` (which must be `gateway = "http"`).
    pub fn new(config: &BankConfig) -> Result<Self, BankError> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .build()
            .map_err(|e| BankError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            url: config.url.clone(),
            token: config.token.clone(),
        })
    }
}

#[async_trait]
impl BankGateway for HttpGateway {
    async fn deposit(&self, d: &Deposit) -> Result<(), BankError> {
        let body = serde_json::json!({
            "bankCode": d.bank.as_str(),
            "accountNumber": d.account.digits(),
            "holderName": d.holder.name.as_str(),
            "holderBirthday": d.holder.birthday.to_compact(),
            "amount": Deposit::AMOUNT,
            "memo": d.word.as_str(),
        });
        let mut req = self.http.post(&self.url).json(&body);
        if !self.token.expose().is_empty() {
            req = req.bearer_auth(self.token.expose());
        }
        let res = req
            .send()
            .await
            .map_err(|e| BankError::Transport(e.without_url().to_string()))?;
        match res.status().as_u16() {
            200..=299 => Ok(()),
            422 => Err(BankError::AccountRefused),
            other => Err(BankError::Rejected(other)),
        }
    }
}

/// The gateway the configuration names.
pub fn from_config(
    config: &BankConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn BankGateway>, BankError> {
    Ok(match config.gateway {
        BankGatewayKind::Outbox => Arc::new(OutboxGateway::new(store, clock)),
        BankGatewayKind::Http => Arc::new(HttpGateway::new(config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_core::{Birthday, PersonName, Phone};

    async fn provider(status: u16) -> (String, crate::testing::Seen) {
        crate::testing::recorder("/deposit", status).await
    }

    fn config(url: String) -> BankConfig {
        BankConfig {
            gateway: BankGatewayKind::Http,
            url,
            token: crate::config::Secret::new("provider-token"),
            timeout_secs: 5,
        }
    }

    fn deposit() -> Deposit {
        let now = time::OffsetDateTime::now_utc();
        Deposit {
            bank: BankCode::parse("004").unwrap(),
            account: AccountNumber::parse("123-456-789").unwrap(),
            holder: Person {
                name: PersonName::parse("홍길동").unwrap(),
                phone: Phone::parse("01012345678").unwrap(),
                birthday: Birthday::parse("19900101", now).unwrap(),
            },
            word: TransferWord::parse("하늘바다").unwrap(),
        }
    }

    #[tokio::test]
    async fn http_gateway_posts_the_deposit_with_the_bearer_token() {
        let (url, seen) = provider(200).await;
        HttpGateway::new(&config(url))
            .unwrap()
            .deposit(&deposit())
            .await
            .unwrap();
        let seen = seen.lock().await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0.as_deref(), Some("Bearer provider-token"));
        assert_eq!(
            seen[0].1,
            serde_json::json!({
                "bankCode": "004", "accountNumber": "123456789", "holderName": "홍길동",
                "holderBirthday": "19900101", "amount": 1, "memo": "하늘바다"
            })
        );
    }

    #[tokio::test]
    async fn http_gateway_tells_a_refused_account_from_an_unavailable_provider() {
        let (url, _) = provider(422).await;
        let g = HttpGateway::new(&config(url)).unwrap();
        assert!(matches!(
            g.deposit(&deposit()).await,
            Err(BankError::AccountRefused)
        ));
        let (url, _) = provider(503).await;
        let g = HttpGateway::new(&config(url)).unwrap();
        assert!(matches!(
            g.deposit(&deposit()).await,
            Err(BankError::Rejected(503))
        ));
        let g = HttpGateway::new(&config("http://127.0.0.1:9/deposit".into())).unwrap();
        assert!(matches!(
            g.deposit(&deposit()).await,
            Err(BankError::Transport(_))
        ));
    }

    #[test]
    fn the_outbox_text_carries_the_word_and_debug_hides_it() {
        let d = deposit();
        let text = outbox_text(&d);
        assert!(text.contains("KB국민은행(004) 123-456-789"), "{text}");
        assert!(text.ends_with("memo 하늘바다"), "{text}");
        let debug = format!("{d:?}");
        assert!(
            !debug.contains("하늘바다") && !debug.contains("456"),
            "{debug}"
        );
    }
}
