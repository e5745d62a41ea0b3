//! Operator accounts and the audit log: a login name is taken once; the TOTP secret is kept
//! sealed and a step is accepted once; disabling an operator ends its sessions and a session of
//! a disabled operator is refused by the touch itself; the audit log reads back with its
//! filters, newest first, and offers no way to change an entry.

use std::time::Duration;

use dojang_store::{AdminSession, AuditEntry, AuditFilter, NewOperator, OperatorRole, StoreError};

use crate::support::*;

const MIN: Duration = Duration::from_secs(60);

fn new(login: &str, role: OperatorRole) -> NewOperator {
    NewOperator {
        login: login.into(),
        display_name: format!("{login} 님"),
        role,
        password_hash: "$argon2id$v=19$x".into(),
    }
}

#[tokio::test]
async fn operators_are_unique_and_change_as_asked() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = s
            .insert_operator(&new("kim", OperatorRole::Desk), NOW)
            .await
            .unwrap();
        assert_eq!(a.role, OperatorRole::Desk);
        assert_eq!(a.display_name, "kim 님");
        assert!(a.disabled_at.is_none() && a.totp_secret.is_none());
        assert!(matches!(
            s.insert_operator(&new("kim", OperatorRole::Support), NOW)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.set_operator_role(a.id, OperatorRole::Support, NOW + MIN)
                .await
                .unwrap()
        );
        assert!(
            !s.set_operator_role(999, OperatorRole::Support, NOW)
                .await
                .unwrap()
        );
        let got = s.operator_by_login("kim").await.unwrap().unwrap();
        assert_eq!(got.role, OperatorRole::Support);
        assert_eq!(got.updated_at, NOW + MIN);
        assert!(s.operator_by_login("lee").await.unwrap().is_none());
        s.insert_operator(&new("adm", OperatorRole::Administrator), NOW)
            .await
            .unwrap();
        let all: Vec<String> = s
            .operators()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.login)
            .collect();
        assert_eq!(all, ["adm", "kim"], "{}", db.name);
    })
    .await;
}

#[tokio::test]
async fn totp_secrets_are_sealed_and_each_step_is_accepted_once() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = s
            .insert_operator(&new("kim", OperatorRole::Administrator), NOW)
            .await
            .unwrap();
        let secret = [7u8; 20];
        assert!(s.set_operator_totp(a.id, Some(&secret), NOW).await.unwrap());
        let got = s.operator(a.id).await.unwrap().unwrap();
        assert_eq!(got.totp_secret.as_deref(), Some(&secret[..]));
        assert!(got.totp_confirmed_at.is_none());
        // The first code confirms the secret; the same step again is a replay; a later one works.
        assert!(s.use_operator_totp_step(a.id, 100, NOW).await.unwrap());
        assert!(!s.use_operator_totp_step(a.id, 100, NOW).await.unwrap());
        assert!(!s.use_operator_totp_step(a.id, 99, NOW).await.unwrap());
        assert!(
            s.use_operator_totp_step(a.id, 101, NOW + MIN)
                .await
                .unwrap()
        );
        let got = s.operator(a.id).await.unwrap().unwrap();
        assert_eq!(
            got.totp_confirmed_at,
            Some(NOW),
            "confirmed at the first code"
        );
        assert_eq!(got.totp_last_step, 101);
        // A reset forgets the secret; without one no step is accepted.
        assert!(s.set_operator_totp(a.id, None, NOW).await.unwrap());
        let got = s.operator(a.id).await.unwrap().unwrap();
        assert!(got.totp_secret.is_none() && got.totp_confirmed_at.is_none());
        assert!(!s.use_operator_totp_step(a.id, 500, NOW).await.unwrap());
        // A disabled operator's codes are not accepted either.
        s.set_operator_totp(a.id, Some(&secret), NOW).await.unwrap();
        s.set_operator_disabled(a.id, true, NOW).await.unwrap();
        assert!(!s.use_operator_totp_step(a.id, 600, NOW).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn disabling_an_operator_ends_its_sessions_on_every_instance() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = s
            .insert_operator(&new("kim", OperatorRole::Support), NOW)
            .await
            .unwrap();
        let b = s
            .insert_operator(&new("lee", OperatorRole::Support), NOW)
            .await
            .unwrap();
        let session = |byte: u8, op: i64| AdminSession {
            token_hash: vec![byte; 32],
            operator_id: op,
            pending_totp: true,
            created_at: NOW,
            last_seen_at: NOW,
            expires_at: NOW + 60 * MIN,
        };
        s.insert_admin_session(&session(1, a.id), NOW - 30 * MIN)
            .await
            .unwrap();
        s.insert_admin_session(&session(2, b.id), NOW - 30 * MIN)
            .await
            .unwrap();
        let t = s
            .touch_admin_session(&[1; 32], NOW + MIN, NOW - MIN)
            .await
            .unwrap()
            .unwrap();
        assert!(t.pending_totp && t.operator_id == a.id);
        assert!(s.complete_admin_session(&[1; 32]).await.unwrap());
        let t = s
            .touch_admin_session(&[1; 32], NOW + MIN, NOW - MIN)
            .await
            .unwrap()
            .unwrap();
        assert!(!t.pending_totp);
        // Disabled: the session row is gone.
        assert!(
            s.set_operator_disabled(a.id, true, NOW + MIN)
                .await
                .unwrap()
        );
        assert!(
            s.touch_admin_session(&[1; 32], NOW + 2 * MIN, NOW - MIN)
                .await
                .unwrap()
                .is_none()
        );
        // Even a session that some instance inserted after the disable (a login racing it) is
        // refused by the touch, which checks the operator is enabled.
        s.insert_admin_session(&session(3, a.id), NOW - 30 * MIN)
            .await
            .unwrap();
        assert!(
            s.touch_admin_session(&[3; 32], NOW + 2 * MIN, NOW - MIN)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.name
        );
        // The other operator is untouched; enabling lets new sessions work again.
        assert!(
            s.touch_admin_session(&[2; 32], NOW + 2 * MIN, NOW - MIN)
                .await
                .unwrap()
                .is_some()
        );
        assert!(s.set_operator_disabled(a.id, false, NOW).await.unwrap());
        assert!(
            s.operator(a.id)
                .await
                .unwrap()
                .unwrap()
                .disabled_at
                .is_none()
        );
        // A new password ends the sessions too.
        assert!(
            s.set_operator_password(b.id, "$argon2id$new", NOW)
                .await
                .unwrap()
        );
        assert!(
            s.touch_admin_session(&[2; 32], NOW + 3 * MIN, NOW - MIN)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

fn entry(at_min: u64, login: &str, action: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: NOW + at_min as u32 * MIN,
        operator_id: Some(1),
        operator_login: login.into(),
        role: "administrator".into(),
        source: "127.0.0.1".into(),
        action: action.into(),
        target: "123456789012".into(),
        before: Some(r#"{"call_center":"1"}"#.into()),
        after: Some(r#"{"call_center":"2"}"#.into()),
        outcome: "ok".into(),
    }
}

#[tokio::test]
async fn the_audit_log_reads_back_filtered_and_newest_first() {
    each_backend(async |db| {
        let s = &*db.store;
        let a = s.append_audit(&entry(0, "kim", "login.ok")).await.unwrap();
        let b = s
            .append_audit(&entry(1, "kim", "rp.rotate_key"))
            .await
            .unwrap();
        let c = s.append_audit(&entry(2, "lee", "rp.add")).await.unwrap();
        assert!(a < b && b < c);
        let all = s.audit_log(&AuditFilter::default(), 0, 10).await.unwrap();
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), [c, b, a]);
        let mut want = entry(2, "lee", "rp.add");
        want.id = c;
        assert_eq!(all[0], want, "written and read back whole");
        let kim = AuditFilter {
            operator: Some("kim".into()),
            ..AuditFilter::default()
        };
        assert_eq!(s.audit_log(&kim, 0, 10).await.unwrap().len(), 2);
        let rp = AuditFilter {
            action_prefix: Some("rp.".into()),
            ..AuditFilter::default()
        };
        assert_eq!(s.audit_log(&rp, 0, 10).await.unwrap().len(), 2);
        let window = AuditFilter {
            since: Some(NOW + MIN),
            until: Some(NOW + 2 * MIN),
            ..AuditFilter::default()
        };
        let got = s.audit_log(&window, 0, 10).await.unwrap();
        assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [b]);
        // Pages.
        let page2 = s.audit_log(&AuditFilter::default(), 1, 1).await.unwrap();
        assert_eq!(
            page2.iter().map(|e| e.id).collect::<Vec<_>>(),
            [b],
            "{}",
            db.name
        );
    })
    .await;
}

#[tokio::test]
async fn the_database_itself_refuses_to_change_or_remove_an_audit_entry() {
    each_backend(async |db| {
        let s = &*db.store;
        s.append_audit(&entry(0, "kim", "rp.add")).await.unwrap();
        let Some(path) = &db.sqlite_path else {
            return; // PostgreSQL: the same triggers, see migrations/postgres/0014
        };
        let c = rusqlite::Connection::open(path).unwrap();
        let update = c.execute("UPDATE audit_log SET outcome = 'refused'", []);
        assert!(
            update
                .as_ref()
                .is_err_and(|e| e.to_string().contains("append-only")),
            "{update:?}"
        );
        let delete = c.execute("DELETE FROM audit_log", []);
        assert!(
            delete
                .as_ref()
                .is_err_and(|e| e.to_string().contains("append-only")),
            "{delete:?}"
        );
        drop(c);
        let all = s.audit_log(&AuditFilter::default(), 0, 10).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].outcome, "ok");
    })
    .await;
}
