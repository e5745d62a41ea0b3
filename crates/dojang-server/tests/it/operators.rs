//! Named operators of the admin console over real HTTP (issue 14, "Operators"): accounts made by
//! the `dojang` binary as a separate process and by an administrator in the console, login with
//! password and TOTP (enrolment at the first login, wrong and replayed codes refused and counted),
//! roles enforced by the server on every route (refusals audited, nothing done), disabling ending
//! a live session at once, and the append-only audit log with who/what/where/before/after,
//! its filters and exports (CSV, JSON Lines), never holding a secret.

use std::time::Duration;

use dojang_core::Clock as _;
use dojang_store::AuditFilter;
use dojang_testkit::TestServer;

use crate::admin::{Browser, PASSWORD, between, server, to_login, totp_code};
use crate::common::*;

/// `dojang admin --data-dir … ARGS` as a process, `stdin` given: (success, stdout+stderr).
fn cli(s: &TestServer, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write as _;
    let data = s.data_dir();
    tokio::task::block_in_place(|| {
        let mut child = std::process::Command::new(dojang_testkit::binary("dojang"))
            .args(["admin", "--data-dir", data.to_str().unwrap()])
            .args(args)
            .env("USER", "ops-tester")
            // On the PostgreSQL leg, the data directory's database.
            .envs(dojang_testkit::database_env(&data))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        write!(child.stdin.take().unwrap(), "{stdin}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
}

const KIM_PASSWORD: &str = "kim's long password";

async fn entries(s: &TestServer, f: AuditFilter) -> Vec<dojang_store::AuditEntry> {
    s.state().store.audit_log(&f, 0, 1000).await.unwrap()
}

fn by_action(action: &str) -> AuditFilter {
    AuditFilter {
        action_prefix: Some(action.into()),
        ..AuditFilter::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_made_by_the_cli_logs_in_with_password_and_a_code_used_once() {
    let s = server().await;
    let (ok, out) = cli(
        &s,
        &[
            "operator",
            "add",
            "--login",
            "kim",
            "--name",
            "김 상담",
            "--role",
            "support",
            "--password-stdin",
        ],
        &format!("{KIM_PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = cli(
        &s,
        &["operator", "add", "--login", "kim", "--role", "desk"],
        "",
    );
    assert!(!ok && out.contains("exists"), "{out}");
    let (ok, out) = cli(
        &s,
        &["operator", "add", "--login", "lee", "--role", "boss"],
        "",
    );
    assert!(
        !ok && out.contains("administrator, desk or support"),
        "{out}"
    );
    let (ok, out) = cli(&s, &["operator", "list", "--json"], "");
    assert!(ok, "{out}");
    let list: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(list[1]["login"], "kim");
    assert_eq!(list[1]["role"], "support");
    assert_eq!(list[1]["totp"], false);
    assert!(!out.contains("argon2"), "no hash in the list");

    // First login: the password opens only the enrolment page (twice, in two browsers).
    let mut half = Browser::new(&s);
    let p = half.try_login_as("kim", KIM_PASSWORD, "").await;
    assert_eq!(p.location.as_deref(), Some("/admin/totp"));
    let mut b = Browser::new(&s);
    let p = b.try_login_as("kim", KIM_PASSWORD, "").await;
    assert_eq!(p.location.as_deref(), Some("/admin/totp"));
    let p = b.get("/admin").await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/totp"),
        "half a session opens nothing"
    );
    let p = b.get("/admin/totp").await;
    let secret = between(&p.body, r#"<code id="totp-secret">"#, "</code>");
    let raw = totp_rs::Secret::try_from_base32(&secret)
        .unwrap()
        .as_ref()
        .to_vec();
    // A wrong code does not confirm it.
    let csrf = p.csrf();
    let wrong = b
        .post("/admin/totp", &[("code", "000000"), ("_csrf", &csrf)])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("OTP 코드가 맞지 않습니다"),
        "{}",
        wrong.body
    );
    let code = totp_code(&raw, s.clock().now());
    let p = b
        .post("/admin/totp", &[("code", &code), ("_csrf", &csrf)])
        .await;
    assert_eq!(p.location.as_deref(), Some("/admin"), "{}", p.body);
    assert_eq!(b.get("/admin").await.status, 200);
    // A second half session of the same operator, opened before the enrolment finished, cannot
    // replace the confirmed secret afterwards: it ends.
    let mut late = Browser::new(&s);
    late.cookies = half.cookies.clone();
    let p = late.get("/admin/totp").await;
    assert_eq!(p.location.as_deref(), Some("/admin/login"));
    assert!(to_login(&late.get("/admin").await));
    let kept = s
        .state()
        .store
        .operator_by_login("kim")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.totp_secret.as_deref(), Some(raw.as_slice()));
    assert!(kept.totp_confirmed_at.is_some());
    // The secret is stored sealed: the database does not hold it, as bytes or as hex (the
    // SQLite file; on the PostgreSQL leg, the operators table as psql prints it).
    let db = match dojang_testkit::database_env(&s.data_dir()) {
        Some((_, url)) => {
            std::process::Command::new("psql")
                .args([url.as_str(), "-At", "-c", "SELECT * FROM operators"])
                .output()
                .unwrap()
                .stdout
        }
        None => std::fs::read(s.data_dir().join("dojang.db")).unwrap(),
    };
    assert!(db.len() > 100, "the table was read");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!db.windows(raw.len()).any(|w| w == raw.as_slice()));
    assert!(!db.windows(hex.len()).any(|w| w == hex.as_bytes()));

    // Next login: password + code. Without a code, with a wrong one, with the code already
    // used in this step (replay): refused. The next step's code works.
    let mut c = Browser::new(&s);
    let p = c.try_login_as("kim", KIM_PASSWORD, "").await;
    assert_eq!(p.status, 401);
    let p = c.try_login_as("kim", KIM_PASSWORD, "123456").await;
    assert_eq!(p.status, 401);
    let p = c.try_login_as("kim", KIM_PASSWORD, &code).await;
    assert_eq!(p.status, 401, "a code is accepted once");
    assert!(p.body.contains("이미 쓴 OTP 코드"), "{}", p.body);
    // Those were four wrong attempts from this address (with the enrolment's): the fifth
    // good one still gets in, after the clock moves to the next step.
    s.clock().advance(Duration::from_secs(30));
    let next = totp_code(&raw, s.clock().now());
    let p = c.try_login_as("kim", KIM_PASSWORD, &next).await;
    assert_eq!(p.location.as_deref(), Some("/admin"), "{}", p.body);
    // And the lockout counts wrong codes like wrong passwords.
    for _ in 0..5 {
        c.try_login_as("kim", KIM_PASSWORD, "999999").await;
    }
    s.clock().advance(Duration::from_secs(30));
    let p = c
        .try_login_as("kim", KIM_PASSWORD, &totp_code(&raw, s.clock().now()))
        .await;
    assert_eq!(p.status, 429);

    // The audit log saw each of these.
    for (action, outcome) in [
        ("login.password_ok", "ok"),
        ("totp.enrol", "refused"),
        ("totp.enrol", "ok"),
        ("login.wrong_totp", "refused"),
        ("login.totp_replay", "refused"),
        ("login.ok", "ok"),
        ("login.limited", "refused"),
        ("cli.operator.add", "ok"),
        ("cli.operator.add", "refused"),
        ("cli.operator.list", "ok"),
    ] {
        let found = entries(&s, by_action(action)).await;
        assert!(
            found.iter().any(|e| e.outcome == outcome),
            "{action} {outcome}: {found:?}"
        );
    }
    let cli_add = entries(&s, by_action("cli.operator.add")).await;
    let made = cli_add.iter().find(|e| e.outcome == "ok").unwrap();
    assert_eq!(made.operator_login, "cli:ops-tester");
    assert_eq!(made.source, "cli");
    assert_eq!(made.target, "kim");
    assert!(
        made.after
            .as_deref()
            .unwrap()
            .contains(r#""role":"support""#)
    );
    let login = &entries(&s, by_action("login.ok")).await[0];
    assert_eq!(
        (login.operator_login.as_str(), login.role.as_str()),
        ("kim", "support")
    );
    assert_eq!(login.source, "127.0.0.1");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_changes_a_role_and_a_password_and_the_console_follows() {
    let s = server().await;
    let (ok, out) = cli(
        &s,
        &[
            "operator",
            "add",
            "--login",
            "kim",
            "--role",
            "support",
            "--password-stdin",
        ],
        &format!("{KIM_PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = cli(
        &s,
        &["operator", "set-role", "--login", "kim", "--role", "desk"],
        "",
    );
    assert!(ok, "{out}");
    let (ok, out) = cli(
        &s,
        &["operator", "set-role", "--login", "kim", "--role", "boss"],
        "",
    );
    assert!(!ok, "an unknown role: {out}");
    let (ok, out) = cli(&s, &["operator", "list", "--json"], "");
    assert!(ok, "{out}");
    let list: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(list[1]["role"], "desk");
    // A new password replaces the old one at once.
    let (ok, out) = cli(
        &s,
        &[
            "operator",
            "reset-password",
            "--login",
            "kim",
            "--password-stdin",
        ],
        "kim's second long password\n",
    );
    assert!(ok, "{out}");
    let mut kim = Browser::new(&s);
    let p = kim.try_login_as("kim", KIM_PASSWORD, "").await;
    assert_ne!(
        p.location.as_deref(),
        Some("/admin/totp"),
        "the old password"
    );
    assert!(
        !kim.cookies
            .contains_key(dojang_server::pages::admin::SESSION_COOKIE)
    );
    kim.login_as("kim", "kim's second long password").await;
    // The desk role reaches the desk page and not the relying parties' changes.
    assert_eq!(kim.get("/admin/desk").await.status, 200);
    let (ok, out) = cli(&s, &["operator", "reset-password", "--login", "nobody"], "");
    assert!(!ok, "{out}");
    // Both changes are in the audit log, made by the command line.
    let all = entries(&s, AuditFilter::default()).await;
    for action in ["cli.operator.set_role", "cli.operator.reset_password"] {
        assert!(
            all.iter()
                .any(|e| e.action == action && e.operator_login.starts_with("cli:")),
            "{action}: {all:?}"
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_enforced_by_the_server_and_refusals_are_audited() {
    let s = server().await;
    let party = s.add_party("도장은행").await;
    let mut admin = Browser::new(&s);
    admin.login().await;
    // The administrator makes a desk and a support operator in the console.
    let mut made = Vec::new();
    for (login, role) in [("desk1", "desk"), ("help1", "support")] {
        let csrf = admin.csrf().await;
        let p = admin
            .post(
                "/admin/operators",
                &[
                    ("login", login),
                    ("display_name", login),
                    ("role", role),
                    ("_csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        made.push(between(&p.body, r#"<code id="new-password">"#, "</code>"));
    }
    let page = admin.get("/admin/operators").await;
    assert!(page.body.contains("operator-desk1") && page.body.contains("operator-help1"));

    let code = party.client_code.to_string();
    let before = s.state().store.relying_parties().await.unwrap();

    // The desk reads people and certificates, nothing else, and changes nothing.
    let mut desk = Browser::new(&s);
    desk.login_as("desk1", &made[0]).await;
    assert_eq!(desk.get("/admin/members").await.status, 200);
    assert_eq!(desk.get("/admin/certificates").await.status, 200);
    for path in [
        "/admin/parties",
        "/admin/audit",
        "/admin/operators",
        "/admin/outbox",
        "/admin/audit/export?format=csv",
    ] {
        assert_eq!(desk.get(path).await.status, 403, "{path}");
    }
    let csrf = desk.csrf().await;
    let p = desk
        .post(
            &format!("/admin/parties/{code}/rotate"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 403, "the desk cannot rotate a key");
    assert!(p.body.contains("이 역할로는 할 수 없는"), "{}", p.body);
    // The desk's own work: a registration-desk code, shown once, audited without the name.
    assert_eq!(desk.get("/admin/desk").await.status, 200);
    let p = desk
        .post(
            "/admin/desk",
            &[
                ("name", "박민수"),
                ("phone", "01077778888"),
                ("birth", "19700707"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let reference = between(&p.body, r#"<code id="desk-reference">"#, "</code>");
    assert!(p.body.contains(r#"<code id="desk-code">"#));
    let issued = &entries(&s, by_action("ra.issue")).await[0];
    assert_eq!(
        (issued.operator_login.as_str(), issued.target.as_str()),
        ("desk1", reference.as_str())
    );
    assert!(
        !issued.after.as_deref().unwrap().contains("박민수"),
        "no name in the log"
    );
    let p = desk
        .post(
            "/admin/desk",
            &[
                ("name", "박민수"),
                ("phone", "0107777"),
                ("birth", "19700707"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert!(
        p.body.contains(r#"id="desk-error""#),
        "a malformed phone is refused"
    );

    // Support reads everything and posts nothing.
    let mut help = Browser::new(&s);
    help.login_as("help1", &made[1]).await;
    for path in [
        "/admin/parties",
        "/admin/audit",
        "/admin/operators",
        "/admin/requests",
        &format!("/admin/parties/{code}"),
    ] {
        assert_eq!(help.get(path).await.status, 200, "{path}");
    }
    assert!(
        !help
            .get("/admin/operators")
            .await
            .body
            .contains("operator-add"),
        "no forms"
    );
    let csrf = help.csrf().await;
    for (path, form) in [
        (format!("/admin/parties/{code}/rotate"), vec![]),
        (
            format!("/admin/parties/{code}/call-center"),
            vec![("call_center", "02-000-0000")],
        ),
        ("/admin/parties".to_owned(), vec![("name", "몰래 등록")]),
        (
            "/admin/members/rename".to_owned(),
            vec![("phone", PHONE), ("birth", BIRTH), ("name", "김철수")],
        ),
        (
            "/admin/certificates/revoke".to_owned(),
            vec![("serial", "01"), ("reason", "keyCompromise")],
        ),
        (
            "/admin/operators".to_owned(),
            vec![("login", "sneaky"), ("role", "administrator")],
        ),
        (
            "/admin/operators/desk1/role".to_owned(),
            vec![("role", "administrator")],
        ),
        ("/admin/operators/admin/disable".to_owned(), vec![]),
        (
            "/admin/desk".to_owned(),
            vec![
                ("name", "박민수"),
                ("phone", "01077778888"),
                ("birth", "19700707"),
            ],
        ),
    ] {
        let mut f: Vec<(&str, &str)> = form;
        f.push(("_csrf", &csrf));
        let p = help.post(&path, &f).await;
        assert_eq!(p.status, 403, "{path}");
    }
    // Nothing changed.
    assert_eq!(s.state().store.relying_parties().await.unwrap(), before);
    assert!(
        s.state()
            .store
            .operator_by_login("sneaky")
            .await
            .unwrap()
            .is_none()
    );
    let desk_now = s
        .state()
        .store
        .operator_by_login("desk1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(desk_now.role.as_str(), "desk");
    assert!(
        s.state()
            .store
            .operator_by_login("admin")
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_none()
    );
    // Each refusal is in the audit log, with who and from where.
    let refused: Vec<_> = entries(&s, AuditFilter::default())
        .await
        .into_iter()
        .filter(|e| e.outcome == "refused")
        .collect();
    let rotate = refused
        .iter()
        .find(|e| e.action == "rp.rotate_key" && e.operator_login == "desk1")
        .expect("the desk's refused rotation");
    assert_eq!(
        (rotate.role.as_str(), rotate.target.as_str()),
        ("desk", code.as_str())
    );
    assert_eq!(rotate.source, "127.0.0.1");
    for action in [
        "rp.rotate_key",
        "rp.call_center",
        "rp.add",
        "member.rename",
        "cert.revoke",
        "operator.add",
        "operator.set_role",
        "operator.disable",
        "ra.issue",
    ] {
        assert!(
            refused
                .iter()
                .any(|e| e.action == action && e.operator_login == "help1"),
            "{action}"
        );
    }
    assert!(
        refused
            .iter()
            .any(|e| e.action == "page.audit" && e.operator_login == "desk1")
    );

    // The administrator may: a role change, audited with before and after.
    let csrf = admin.csrf().await;
    let p = admin
        .post(
            "/admin/operators/desk1/role",
            &[("role", "support"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    let e = &entries(&s, by_action("operator.set_role")).await[0];
    assert_eq!(
        (e.operator_login.as_str(), e.outcome.as_str()),
        ("admin", "ok")
    );
    assert!(
        e.before.as_deref().unwrap().contains(r#""role":"desk""#),
        "{e:?}"
    );
    assert!(
        e.after.as_deref().unwrap().contains(r#""role":"support""#),
        "{e:?}"
    );
    // The last administrator cannot lock everyone out.
    let p = admin
        .post("/admin/operators/admin/disable", &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303);
    assert!(
        s.state()
            .store
            .operator_by_login("admin")
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_none()
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_operator_ends_its_live_session_at_once() {
    let s = server().await;
    let (ok, out) = cli(
        &s,
        &[
            "operator",
            "add",
            "--login",
            "kim",
            "--role",
            "support",
            "--password-stdin",
        ],
        &format!("{KIM_PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let mut kim = Browser::new(&s);
    kim.login_as("kim", KIM_PASSWORD).await;
    assert_eq!(kim.get("/admin/audit").await.status, 200);
    // In the console.
    let mut admin = Browser::new(&s);
    admin.login().await;
    let csrf = admin.csrf().await;
    let p = admin
        .post("/admin/operators/kim/disable", &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303);
    assert!(
        to_login(&kim.get("/admin/audit").await),
        "the live session ended"
    );
    // A disabled operator cannot log in, right password and code or not.
    let code = kim.code_for("kim").await.unwrap();
    assert_eq!(
        kim.try_login_as("kim", KIM_PASSWORD, &code).await.status,
        401
    );
    // From the shell (another process, as another instance would be).
    let (ok, out) = cli(&s, &["operator", "enable", "--login", "kim"], "");
    assert!(ok, "{out}");
    kim.login_as("kim", KIM_PASSWORD).await;
    assert_eq!(kim.get("/admin").await.status, 200);
    let (ok, out) = cli(&s, &["operator", "disable", "--login", "kim"], "");
    assert!(ok, "{out}");
    assert!(to_login(&kim.get("/admin").await));
    // Reset of the second factor: enrol again at the next login.
    cli(&s, &["operator", "enable", "--login", "kim"], "");
    let (ok, out) = cli(&s, &["operator", "reset-totp", "--login", "kim"], "");
    assert!(ok, "{out}");
    let p = kim.try_login_as("kim", KIM_PASSWORD, "").await;
    assert_eq!(p.location.as_deref(), Some("/admin/totp"));
    let e = &entries(&s, by_action("operator.disable")).await[0];
    assert_eq!(
        (e.operator_login.as_str(), e.target.as_str()),
        ("admin", "kim")
    );
    assert!(e.before.as_deref().unwrap().contains(r#""disabled":false"#));
    assert!(e.after.as_deref().unwrap().contains(r#""disabled":true"#));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_shown_filtered_exported_and_append_only() {
    let s = server().await;
    let mut admin = Browser::new(&s);
    admin.login().await;
    // Register a party in the console (its SecretKey is on the answer page only), change its
    // call-centre number.
    let csrf = admin.csrf().await;
    let p = admin
        .post(
            "/admin/parties",
            &[
                ("name", "감사은행"),
                ("client_code", "111122223333"),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    let rp = s
        .state()
        .store
        .relying_party(&"111122223333".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let p = admin
        .post(
            "/admin/parties/111122223333/call-center",
            &[("call_center", "1588-0000"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    let p = admin
        .post(
            "/admin/parties/111122223333/call-center",
            &[("call_center", "1588-1111"), ("_csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 303);
    let e = &entries(&s, by_action("rp.call_center")).await[0];
    assert_eq!(e.before.as_deref(), Some(r#"{"call_center":"1588-0000"}"#));
    assert_eq!(e.after.as_deref(), Some(r#"{"call_center":"1588-1111"}"#));
    assert_eq!(e.target, "111122223333");

    // The page, with filters.
    let p = admin.get("/admin/audit?action=rp.").await;
    assert_eq!(p.status, 200);
    assert_eq!(
        p.body.matches(r#"class="audit-entry""#).count(),
        3,
        "{}",
        p.body
    );
    let p = admin.get("/admin/audit?operator=nobody").await;
    assert_eq!(p.body.matches(r#"class="audit-entry""#).count(), 0);
    let today = s
        .clock()
        .now()
        .to_offset(time::macros::offset!(+9))
        .date()
        .to_string();
    let p = admin
        .get(&format!(
            "/admin/audit?from={today}&to={today}&action=rp.add"
        ))
        .await;
    assert_eq!(p.body.matches(r#"class="audit-entry""#).count(), 1);
    let p = admin
        .get("/admin/audit?from=2001-01-01&to=2001-01-02")
        .await;
    assert_eq!(p.body.matches(r#"class="audit-entry""#).count(), 0);
    assert_eq!(admin.get("/admin/audit?from=yesterday").await.status, 200);
    // Pages of 50: make more entries than that.
    for _ in 0..60 {
        admin.get("/admin/audit/export?format=jsonl").await;
    }
    let first = admin.get("/admin/audit").await;
    assert!(first.body.contains(r#"id="audit-older""#));
    let second = admin.get("/admin/audit?page=1").await;
    assert!(second.body.contains(r#"id="audit-newer""#));

    // Exports parse, hold every entry, and never a secret.
    let jsonl = admin
        .get("/admin/audit/export?format=jsonl&action=rp.")
        .await;
    assert_eq!(jsonl.status, 200);
    let lines: Vec<serde_json::Value> = jsonl
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "rp.call_center");
    assert_eq!(lines[0]["after"]["call_center"], "1588-1111");
    assert_eq!(lines[0]["operator"], "admin");
    assert_eq!(lines[0]["source"], "127.0.0.1");
    let csv = admin.get("/admin/audit/export?format=csv").await;
    assert_eq!(csv.status, 200);
    let rows: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows[0],
        "id,at,operator_id,operator,role,source,action,target,before,after,outcome"
    );
    let all = entries(&s, AuditFilter::default()).await;
    // The header and every entry before this export's own (no line breaks inside fields).
    assert_eq!(rows.len(), all.len(), "{}", csv.body);
    let everything = format!("{}{}", csv.body, jsonl.body);
    let admin_secret = admin_secret_of(&s).await;
    for secret_text in [
        dojang_server::service::admin::secret_text(&rp),
        PASSWORD.to_owned(),
        admin_secret,
    ] {
        assert!(!everything.contains(&secret_text), "a secret in the export");
    }

    // Append-only: the database refuses to change or delete an entry.
    database_refuses_to_change_the_log(&s);
    assert_eq!(entries(&s, AuditFilter::default()).await.len(), all.len());
    s.stop().await;
}

/// The base32 TOTP secret of `admin`.
async fn admin_secret_of(s: &TestServer) -> String {
    let op = s
        .state()
        .store
        .operator_by_login("admin")
        .await
        .unwrap()
        .unwrap();
    totp_rs::Secret::from(op.totp_secret.unwrap()).to_base32()
}

/// The database itself (`sqlite3` on the SQLite file, `psql` on the PostgreSQL leg's database)
/// refuses to change, delete or (PostgreSQL) truncate audit entries, naming the rule.
fn database_refuses_to_change_the_log(s: &TestServer) {
    let data = s.data_dir();
    let mut tries = vec![
        "UPDATE audit_log SET outcome = 'ok'",
        "DELETE FROM audit_log",
    ];
    let run = |sql: &str| match dojang_testkit::database_env(&data) {
        Some((_, url)) => std::process::Command::new("psql")
            .args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap(),
        None => std::process::Command::new("sqlite3")
            .arg(data.join("dojang.db"))
            .arg(sql)
            .output()
            .unwrap(),
    };
    if dojang_testkit::database_env(&data).is_some() {
        tries.push("TRUNCATE audit_log");
    }
    for sql in tries {
        let out = run(sql);
        assert!(!out.status.success(), "{sql}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("append-only"),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_audit_log_and_a_disabled_operator_is_out_everywhere() {
    let phc = dojang_server::service::admin::hash_password(PASSWORD).unwrap();
    let a = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc.clone());
    })
    .await;
    let shared = a.data_dir();
    // A second instance on the same data directory: the same SQLite file, or on the
    // PostgreSQL leg the same database.
    let b = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc.clone());
        c.data_dir = shared;
    })
    .await;
    let mut on_a = Browser::new(&a);
    on_a.login().await;
    let csrf = on_a.csrf().await;
    let p = on_a
        .post(
            "/admin/operators",
            &[("login", "kim"), ("role", "support"), ("_csrf", &csrf)],
        )
        .await;
    let password = between(&p.body, r#"<code id="new-password">"#, "</code>");
    // kim logs in on instance b; a disables kim; b ends the session at its next request.
    let mut kim = Browser::new(&b);
    kim.login_as("kim", &password).await;
    assert_eq!(kim.get("/admin/audit").await.status, 200);
    let p = on_a
        .post("/admin/operators/kim/disable", &[("_csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303);
    assert!(to_login(&kim.get("/admin/audit").await));
    // Both instances wrote to one log, which the database refuses to change.
    let all = entries(&a, AuditFilter::default()).await;
    assert!(all.iter().any(|e| e.action == "operator.disable"));
    assert!(
        all.iter()
            .any(|e| e.action == "totp.enrol" && e.operator_login == "kim")
    );
    database_refuses_to_change_the_log(&a);
    assert_eq!(entries(&a, AuditFilter::default()).await.len(), all.len());
    b.stop().await;
    a.stop().await;
}
