//! The `dojang` command line as processes: every leaf command of clap's tree (read from the
//! binary's own `help`, recursively) must be run, its output checked, by a named test; this
//! file runs the ones no other test needs (`rp sign|debit-consent|login …`, `rp identity
//! cancel`, `admin password hash`).

use std::collections::BTreeSet;
use std::io::Write as _;

use dojang_client::ErrorCode;
use dojang_core::Clock as _;
use dojang_testkit::{TestServer, binary, json, run};

use crate::common::*;

/// Every leaf command of `dojang`, the file of the test that runs it as a process and checks
/// its output, and that test's name (a `fn` in the Rust files, a `test("…")` in e2e/).
const COVERED: &[(&str, &str, &str)] = &[
    (
        "backup",
        "backup.rs",
        "a_backup_taken_under_load_restores_into_a_server_that_carries_on",
    ),
    (
        "restore",
        "backup.rs",
        "a_backup_taken_under_load_restores_into_a_server_that_carries_on",
    ),
    (
        "serve",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "demo",
        "../../../../e2e/lib.mjs",
        "export async function startDemo",
    ),
    (
        "admin rp add",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "admin rp list",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "admin rp alias add",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "admin rp alias list",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "admin rp alias remove",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "admin rp cloud set",
        "cloud.rs",
        "publishable_keys_are_set_shown_and_cleared_by_the_command_line",
    ),
    (
        "admin rp cloud show",
        "cloud.rs",
        "publishable_keys_are_set_shown_and_cleared_by_the_command_line",
    ),
    (
        "admin rp cloud clear",
        "cloud.rs",
        "publishable_keys_are_set_shown_and_cleared_by_the_command_line",
    ),
    (
        "admin rp webhook set",
        "webhooks.rs",
        "every_state_change_is_posted_signed_retried_and_logged",
    ),
    (
        "admin rp webhook clear",
        "webhooks.rs",
        "every_state_change_is_posted_signed_retried_and_logged",
    ),
    (
        "admin rp webhook log",
        "webhooks.rs",
        "every_state_change_is_posted_signed_retried_and_logged",
    ),
    (
        "admin operator add",
        "operators.rs",
        "an_operator_made_by_the_cli_logs_in_with_password_and_a_code_used_once",
    ),
    (
        "admin operator list",
        "operators.rs",
        "an_operator_made_by_the_cli_logs_in_with_password_and_a_code_used_once",
    ),
    (
        "admin operator disable",
        "operators.rs",
        "disabling_an_operator_ends_its_live_session_at_once",
    ),
    (
        "admin operator enable",
        "operators.rs",
        "disabling_an_operator_ends_its_live_session_at_once",
    ),
    (
        "admin operator reset-totp",
        "operators.rs",
        "disabling_an_operator_ends_its_live_session_at_once",
    ),
    (
        "admin operator set-role",
        "operators.rs",
        "the_cli_changes_a_role_and_a_password_and_the_console_follows",
    ),
    (
        "admin operator reset-password",
        "operators.rs",
        "the_cli_changes_a_role_and_a_password_and_the_console_follows",
    ),
    (
        "admin rp sandbox",
        "hardening.rs",
        "f8_a_sandbox_signature_is_refused_outside_the_sandbox_in_every_dialect",
    ),
    (
        "admin rp login-page set",
        "login_page.rs",
        "the_operator_sets_shows_and_clears_the_return_url_from_the_command_line",
    ),
    (
        "admin rp login-page clear",
        "login_page.rs",
        "the_operator_sets_shows_and_clears_the_return_url_from_the_command_line",
    ),
    (
        "admin rp login-page show",
        "login_page.rs",
        "the_operator_sets_shows_and_clears_the_return_url_from_the_command_line",
    ),
    (
        "admin rp login-page texts",
        "login_page.rs",
        "operator_texts_set_by_the_cli_show_on_the_page_and_change_the_consent_hash",
    ),
    (
        "admin rp login-page texts-clear",
        "login_page.rs",
        "operator_texts_set_by_the_cli_show_on_the_page_and_change_the_consent_hash",
    ),
    (
        "admin rp login-page consents",
        "login_page.rs",
        "a_person_logs_in_and_the_party_exchanges_the_code_once",
    ),
    (
        "admin cert list",
        "revocation.rs",
        "revoked_by_the_operator_refused_by_crl_ocsp_openssl_and_dojang",
    ),
    (
        "admin cert revoke",
        "revocation.rs",
        "revoked_by_the_operator_refused_by_crl_ocsp_openssl_and_dojang",
    ),
    (
        "admin member list",
        "lifecycle.rs",
        "a_legal_name_change_revokes_and_the_app_explains_it",
    ),
    (
        "admin member rename",
        "lifecycle.rs",
        "a_legal_name_change_revokes_and_the_app_explains_it",
    ),
    (
        "admin ra issue",
        "e2e_issuance.rs",
        "registration_desk_issuance_with_real_processes",
    ),
    (
        "admin ra list",
        "e2e_issuance.rs",
        "registration_desk_issuance_with_real_processes",
    ),
    (
        "admin ra cancel",
        "e2e_issuance.rs",
        "registration_desk_issuance_with_real_processes",
    ),
    (
        "admin password set",
        "admin.rs",
        "the_cli_sets_the_password_from_stdin_and_ends_sessions",
    ),
    (
        "admin password hash",
        "cli.rs",
        "admin_password_hash_prints_a_phc_string_the_server_accepts",
    ),
    (
        "admin outbox",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "rp identity request",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "rp identity status",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "rp identity verify",
        "e2e.rs",
        "identity_verification_end_to_end_with_real_processes",
    ),
    (
        "rp identity cancel",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp sign request",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp sign status",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp sign verify",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp sign cancel",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp multi-sign request",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "rp multi-sign status",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "rp multi-sign verify",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "rp multi-sign cancel",
        "app_process.rs",
        "the_operator_and_relying_party_command_lines",
    ),
    (
        "rp debit-consent request",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp debit-consent status",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp debit-consent verify",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp debit-consent cancel",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp login request",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp login status",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp login verify",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
    (
        "rp login cancel",
        "cli.rs",
        "rp_commands_of_every_kind_as_processes",
    ),
];

/// The subcommands `dojang <path> help` lists (without `help` itself).
fn subcommands(path: &[String]) -> Vec<String> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let (status, out) = run(&binary("dojang"), &args, &[]);
    assert!(status.success(), "dojang {args:?}: {out}");
    let mut subs = Vec::new();
    let mut listing = false;
    for line in out.lines() {
        if line.starts_with("Commands:") {
            listing = true;
        } else if listing && line.trim().is_empty() {
            break;
        } else if listing
            && let Some(name) = line.split_whitespace().next()
            && name != "help"
        {
            subs.push(name.to_owned());
        }
    }
    subs
}

fn leaves(path: Vec<String>, out: &mut BTreeSet<String>) {
    let subs = subcommands(&path);
    if subs.is_empty() {
        out.insert(path.join(" "));
    }
    for s in subs {
        let mut p = path.clone();
        p.push(s);
        leaves(p, out);
    }
}

/// The source of a test file named in [`COVERED`].
fn source(file: &str) -> String {
    // Through the crates folder, so the PostgreSQL leg (compiled in crates/dojang-it-pg) finds
    // the same files.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dojang-server/tests/it");
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_command_of_the_dojang_binary_is_run_by_a_test() {
    let mut tree = BTreeSet::new();
    leaves(Vec::new(), &mut tree);
    assert!(tree.len() > 40, "the tree was read: {tree:?}");
    let listed: BTreeSet<String> = COVERED.iter().map(|(c, _, _)| (*c).to_owned()).collect();
    assert_eq!(listed.len(), COVERED.len(), "a command listed twice");
    let untested: Vec<_> = tree.difference(&listed).collect();
    assert!(
        untested.is_empty(),
        "commands no test runs (add a test and list it in COVERED): {untested:?}"
    );
    let gone: Vec<_> = listed.difference(&tree).collect();
    assert!(
        gone.is_empty(),
        "listed but not commands any more: {gone:?}"
    );
    // Each named test exists, and its file runs the command's last word.
    for (command, file, test) in COVERED {
        let text = source(file);
        let named = if file.ends_with(".rs") {
            text.contains(&format!("fn {test}("))
        } else {
            text.contains(test)
        };
        assert!(named, "{command}: no `{test}` in {file}");
        let last = command.rsplit(' ').next().unwrap();
        assert!(
            text.contains(&format!("\"{last}\"")),
            "{command}: {file} never passes \"{last}\""
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_password_hash_prints_a_phc_string_the_server_accepts() {
    // Run where no instance lives: it must not make one (no data directory, CA or database).
    let cwd = tempfile::tempdir().unwrap();
    let hash = |password: &str| {
        let mut child = std::process::Command::new(binary("dojang"))
            .args(["admin", "password", "hash"])
            .current_dir(cwd.path())
            .env_remove("DOJANG_DATA_DIR")
            .env_remove("DOJANG_CONFIG")
            .env_remove("DOJANG_DATABASE_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = tokio::task::block_in_place(|| hash("short"));
    assert!(!ok, "a short password is refused");
    assert!(err.contains("12 to 256"), "{err}");
    let password = "a password for the config file";
    let (ok, phc, err) = tokio::task::block_in_place(|| hash(password));
    assert!(ok, "{err}");
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(!phc.contains(password));
    let made: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(made.is_empty(), "hashing a password made {made:?}");
    // The line goes into `[admin] password_hash` and the console accepts that password only.
    let s = TestServer::start_with(|c| {
        c.admin.password_hash = dojang_server::config::Secret::new(phc.clone());
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let try_login = async |password: &str| {
        let page = http
            .get(format!("{}/admin/login", s.url()))
            .send()
            .await
            .unwrap();
        let cookie: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect();
        let html = page.text().await.unwrap();
        let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
        let csrf = html[at..].split('"').next().unwrap();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("password", password), ("next", "/admin"), ("_csrf", csrf)])
            .finish();
        http.post(format!("{}/admin/login", s.url()))
            .header("cookie", cookie.join("; "))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(try_login("not the password at all").await, 401);
    assert_eq!(try_login(password).await, 303);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rp_commands_of_every_kind_as_processes() {
    let s = TestServer::start().await;
    let party = s.add_party("도장은행").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let url = s.url();
    let rp = |args: &[&str]| {
        let env = [
            ("DOJANG_URL", url.as_str()),
            ("DOJANG_CLIENT_CODE", party.client_code.as_str()),
            ("DOJANG_LINK_ID", party.link_id.as_str()),
            ("DOJANG_SECRET", party.secret.as_str()),
        ];
        let mut all = vec!["rp"];
        all.extend_from_slice(args);
        let (st, out) = tokio::task::block_in_place(|| run(&binary("dojang"), &all, &env));
        (st.success(), json(&out))
    };
    let person = ["--name", NAME, "--phone", PHONE, "--birth", BIRTH];
    let with = |extra: &[&'static str]| {
        let mut v: Vec<&str> = person.to_vec();
        v.extend_from_slice(extra);
        v
    };

    // identity: request, then cancel (state 3); verify then answers "cancelled".
    let mut a = vec!["identity", "request"];
    a.extend(with(&["--token", "t-1", "--title", "본인확인"]));
    let (ok, r) = rp(&a);
    assert!(ok, "{r}");
    let id = r["receiptID"].as_str().unwrap().to_owned();
    let (ok, c) = rp(&["identity", "cancel", &id, "--reason", "필요 없어짐"]);
    assert!(ok, "{c}");
    assert_eq!(c["state"], 3);
    let (ok, e) = rp(&["identity", "verify", &id]);
    assert!(!ok);
    assert_eq!(e["code"], ErrorCode::RequestCancelled.code());

    // sign, debit-consent and login: request, status waiting, the person approves, status
    // signed, verify; a second request of each is cancelled.
    for (kind, extra) in [
        (
            "sign",
            vec![
                "--title",
                "약정서",
                "--token",
                "동의합니다",
                "--token-type",
                "TEXT",
            ],
        ),
        (
            "debit-consent",
            vec![
                "--title",
                "자동이체 동의",
                "--request-corp",
                "도장은행",
                "--bank-name",
                "신한은행",
                "--bank-account-num",
                "110222333444",
                "--bank-account-name",
                NAME,
                "--bank-account-birthday",
                BIRTH,
                "--bank-service-type",
                "CMS",
            ],
        ),
        ("login", vec!["--title", "로그인", "--token", "login-token"]),
    ] {
        let mut a = vec![kind, "request"];
        a.extend(with(&[]));
        a.extend(extra.iter().copied());
        let (ok, r) = rp(&a);
        assert!(ok, "{kind}: {r}");
        let id = r["receiptID"].as_str().unwrap().to_owned();
        let (ok, st) = rp(&[kind, "status", &id]);
        assert!(ok, "{kind}: {st}");
        assert_eq!(st["state"], 0, "{kind}: waiting");
        let (ok, e) = rp(&[kind, "verify", &id]);
        assert!(!ok, "{kind}: not yet");
        assert!(e["code"].as_i64().unwrap() < 0, "{kind}: {e}");
        assert_eq!(device.approve(&id, s.clock().now()).await.unwrap(), 1);
        let (ok, st) = rp(&[kind, "status", &id]);
        assert!(ok && st["state"] == 1, "{kind}: {st}");
        let (ok, v) = rp(&[kind, "verify", &id]);
        assert!(ok, "{kind}: {v}");
        assert_eq!(v["receiptID"], id.as_str(), "{kind}: {v}");
        assert_eq!(v["receiverName"], NAME, "{kind}: {v}");
        assert!(
            v["signedData"].as_str().is_some_and(|d| !d.is_empty()),
            "{kind}: {v}"
        );
        let (ok, e) = rp(&[kind, "verify", &id]);
        assert!(!ok);
        assert_eq!(e["code"], ErrorCode::AlreadyVerified.code(), "{kind}");

        // (Another payload: the same signed call within the same second is a replay.)
        a.extend(["--payload", "second"]);
        let (ok, r) = rp(&a);
        assert!(ok, "{kind}: {r}");
        let id = r["receiptID"].as_str().unwrap().to_owned();
        let (ok, c) = rp(&[kind, "cancel", &id]);
        assert!(ok, "{kind}: {c}");
        assert_eq!(c["state"], 3, "{kind}");
        // Another relying party's receipt answers as if it did not exist.
        let (ok, e) = rp(&[kind, "status", "02604010000000000000000000000000"]);
        assert!(!ok, "{kind}: {e}");
        assert!(e["code"].as_i64().unwrap() < 0, "{kind}: {e}");
    }
    s.stop().await;
}
