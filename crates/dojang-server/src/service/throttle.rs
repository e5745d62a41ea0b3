//! Back-offs at the doors anyone may knock on without logging in (issue 14 #1, #2): the hosted
//! login's "could not send a request to this person" and the enrolment's wrong SMS codes.
//!
//! Failures are counted in the database (`failed_attempts`, migration 0013), so every instance
//! sees the same counts. A subject is a keyed hash (the server's lookup key) of a phone number
//! or of the client's address as [`crate::proxy`] works it out behind trusted proxies; the
//! number and the address themselves are not stored. The numbers and what they leave to an
//! attacker are in docs/security.md ("Guessing, in numbers").

use std::net::IpAddr;
use std::time::Duration;

use dojang_core::Phone;

use crate::state::AppState;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// How failures of one kind are limited.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// `free` failures in the window cost nothing; from then on, each further attempt waits
    /// `first · 2^(failures − free)` after the last failure, at most `max`.
    Backoff {
        /// Failures that cost nothing.
        free: u64,
        /// The first wait.
        first: Duration,
        /// The longest wait.
        max: Duration,
    },
    /// At most `max` failures in any window: the next attempt waits until the oldest of them
    /// leaves the window.
    Ceiling {
        /// Failures allowed in the window.
        max: u64,
    },
}

/// A kind of failure and how it is limited.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The store's scope (also the label of the subject's keyed hash).
    pub scope: &'static str,
    /// How far back failures count.
    pub window: Duration,
    /// The limit.
    pub limit: Limit,
}

/// Hosted login, per typed phone number: five mistakes a day are free, then 1, 2, 4, …
/// minutes, up to a day.
pub const LOGIN_PHONE: Rule = Rule {
    scope: "login-phone",
    window: DAY,
    limit: Limit::Backoff {
        free: 5,
        first: MINUTE,
        max: DAY,
    },
};
/// Hosted login, per client address: ten mistakes a day are free, then 1, 2, 4, … minutes,
/// up to an hour (an office or a carrier's NAT shares an address).
pub const LOGIN_ADDRESS: Rule = Rule {
    scope: "login-address",
    window: DAY,
    limit: Limit::Backoff {
        free: 10,
        first: MINUTE,
        max: HOUR,
    },
};
/// Wrong SMS codes per phone number (across its enrolments): one enrolment's five tries are
/// free, then 1, 2, 4, … minutes, up to a day.
pub const OTP_PHONE: Rule = Rule {
    scope: "otp-phone",
    window: DAY,
    limit: Limit::Backoff {
        free: 5,
        first: MINUTE,
        max: DAY,
    },
};
/// Wrong SMS codes per client address: at most 20 in any hour.
pub const OTP_ADDRESS: Rule = Rule {
    scope: "otp-address",
    window: HOUR,
    limit: Limit::Ceiling { max: 20 },
};
/// Wrong SMS codes across the whole server: at most 30 in any minute.
pub const OTP_ALL: Rule = Rule {
    scope: "otp-all",
    window: MINUTE,
    limit: Limit::Ceiling { max: 30 },
};

/// Every rule, for the purge: the longest window is kept.
pub const LONGEST_WINDOW: Duration = DAY;

/// Who a failure is counted against.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A phone number.
    Phone(&'a Phone),
    /// A client address (`None`: unknown, counted as one address).
    Address(Option<IpAddr>),
    /// Everyone: the rule's overall count.
    All,
}

fn subject_key(state: &AppState, rule: &Rule, subject: Subject<'_>) -> Option<Vec<u8>> {
    match subject {
        Subject::Phone(p) => Some(state.keys.lookup(rule.scope, &[p.as_str()])),
        Subject::Address(ip) => {
            let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_canonical().to_string());
            Some(state.keys.lookup(rule.scope, &[&ip]))
        }
        Subject::All => None,
    }
}

/// How long the next attempt must still wait, given the failures in the window; `None`: it
/// may go ahead.
pub fn wait(
    limit: Limit,
    window: Duration,
    f: &dojang_store::Failures,
    now: time::OffsetDateTime,
) -> Option<Duration> {
    let until = match limit {
        Limit::Backoff { free, first, max } => {
            if f.count < free {
                return None;
            }
            let doublings = u32::try_from(f.count - free).unwrap_or(u32::MAX).min(31);
            let d = first.saturating_mul(1u32 << doublings).min(max);
            f.last? + d
        }
        Limit::Ceiling { max } => {
            if f.count < max {
                return None;
            }
            f.first? + window
        }
    };
    let left = until - now;
    (left > time::Duration::ZERO).then(|| left.unsigned_abs())
}

/// Whether `subject` may try now under `rule`: else `code` (429) with the time left to wait.
pub async fn check(
    state: &AppState,
    rule: &Rule,
    subject: Subject<'_>,
    code: dojang_proto::ErrorCode,
) -> Result<(), crate::http::error::ApiError> {
    let now = state.clock.now();
    let key = subject_key(state, rule, subject);
    let f = state
        .store
        .failures(rule.scope, key.as_deref(), now - rule.window)
        .await?;
    match wait(rule.limit, rule.window, &f, now) {
        None => Ok(()),
        Some(left) => Err(crate::http::error::ApiError::Throttled {
            code,
            retry_after_secs: left.as_secs().max(1),
        }),
    }
}

/// Count one failure of `subject` under `rule`.
pub async fn record(
    state: &AppState,
    rule: &Rule,
    subject: Subject<'_>,
) -> Result<(), crate::http::error::ApiError> {
    let key = subject_key(state, rule, subject).unwrap_or_default();
    state
        .store
        .record_failure(rule.scope, &key, state.clock.now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_store::Failures;
    use time::macros::datetime;

    const NOW: time::OffsetDateTime = datetime!(2026-12-06 00:00 UTC);

    fn failures(count: u64, first_ago: u64, last_ago: u64) -> Failures {
        Failures {
            count,
            first: Some(NOW - Duration::from_secs(first_ago)),
            last: Some(NOW - Duration::from_secs(last_ago)),
        }
    }

    #[test]
    fn the_back_off_doubles_after_the_free_failures_and_stops_at_its_cap() {
        let l = LOGIN_PHONE.limit;
        let w = LOGIN_PHONE.window;
        assert_eq!(wait(l, w, &Failures::default(), NOW), None);
        assert_eq!(wait(l, w, &failures(4, 100, 0), NOW), None);
        assert_eq!(wait(l, w, &failures(5, 100, 0), NOW), Some(MINUTE));
        assert_eq!(wait(l, w, &failures(6, 100, 0), NOW), Some(2 * MINUTE));
        assert_eq!(
            wait(l, w, &failures(8, 100, 30), NOW),
            Some(8 * MINUTE - Duration::from_secs(30))
        );
        assert_eq!(wait(l, w, &failures(5, 100, 60), NOW), None);
        assert_eq!(wait(l, w, &failures(60, 100, 0), NOW), Some(DAY));
        let a = LOGIN_ADDRESS.limit;
        assert_eq!(wait(a, w, &failures(40, 100, 0), NOW), Some(HOUR));
    }

    #[test]
    fn a_ceiling_waits_for_the_oldest_failure_to_leave_the_window() {
        let (l, w) = (OTP_ADDRESS.limit, OTP_ADDRESS.window);
        assert_eq!(wait(l, w, &failures(19, 600, 0), NOW), None);
        assert_eq!(
            wait(l, w, &failures(20, 600, 0), NOW),
            Some(HOUR - Duration::from_secs(600))
        );
        assert_eq!(wait(l, w, &failures(20, 3600, 0), NOW), None);
        let (g, gw) = (OTP_ALL.limit, OTP_ALL.window);
        assert_eq!(
            wait(g, gw, &failures(30, 45, 1), NOW),
            Some(Duration::from_secs(15))
        );
    }
}
