//! `dojang backup` while `dojang serve` answers a stream of requests, then `dojang restore` into a
//! fresh data directory and a new server on it (issue 18, "Operations"): the person's device,
//! certificate and waiting request carry on there. And what restore refuses: a damaged backup, a
//! data directory that already holds an instance, a PostgreSQL URL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use dojang_app::{Enrolment, Holder};
use dojang_client::{Client, Credentials, IdentityRequest};
use dojang_testkit::{Process, binary, json, run, six_digits};

/// `dojang <args>` to completion: whether it succeeded, and what it printed on stdout and stderr.
fn dojang(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(binary("dojang"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn serve(data: &str, config: &str) -> (Process, String) {
    let mut server = Process::start(
        &binary("dojang"),
        &[
            "serve",
            "--config",
            config,
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let line = server.wait_for("dojang listening on ", Duration::from_secs(30));
    let url = line.rsplit(' ').next().unwrap().to_owned();
    (server, url)
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    backend_postgres,
    ignore = "SQLite-only: the backup command copies a SQLite database (PostgreSQL has pg_dump)"
)]
async fn a_backup_taken_under_load_restores_into_a_server_that_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let dojang_bin = binary("dojang");
    let config = tmp.path().join("dojang.toml");
    std::fs::write(
        &config,
        "[policy]\ndev_reveal_binding_code = true\nperson_requests_per_minute = 0\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let (mut server, url) = serve(data, config);

    // Two relying parties: one leaves a request waiting, the other keeps flows going.
    let party = |name: &str| {
        let (ok, out) = run(
            &dojang_bin,
            &[
                "admin",
                "--data-dir",
                data,
                "rp",
                "add",
                "--name",
                name,
                "--json",
            ],
            &[],
        );
        assert!(ok.success(), "{out}");
        let rp = json(&out);
        Credentials::new(
            rp["clientCode"].as_str().unwrap(),
            rp["linkID"].as_str().unwrap(),
            rp["secretKey"].as_str().unwrap(),
        )
    };
    let creds = party("백업 시험");
    let busy = party("부하 포털");
    let holder = Holder {
        name: "백업인".into(),
        phone: "01077770000".into(),
        birthday: "19850505".into(),
    };
    let enrolment = Enrolment::start(&url, holder.clone()).await.unwrap();
    let (ok, out) = run(
        &dojang_bin,
        &[
            "admin",
            "--data-dir",
            data,
            "outbox",
            "--phone",
            &holder.phone,
            "--json",
        ],
        &[],
    );
    assert!(ok.success(), "{out}");
    let code = six_digits(json(&out)[0]["text"].as_str().unwrap()).unwrap();
    let completed = enrolment.submit_code(&code).await.unwrap();
    let (api, signer) = enrolment.into_device(&completed).unwrap();
    let (api, signer) = (Arc::new(api), Arc::new(signer));
    let token = completed.device_token.clone();

    // A request waiting for the person, made before the backup.
    let client = Client::new(&url, creds.clone()).unwrap();
    let ask = |t: &str| {
        IdentityRequest::new(
            &holder.name,
            &holder.phone,
            &holder.birthday,
            t,
            "백업",
            600,
        )
    };
    let waiting = client.request_verify_auth(&ask("before")).await.unwrap();

    // Load while the backup runs: the other party's flows (create, approve, verify) go on.
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicU32::new(0));
    let first_flow = Arc::new(std::sync::Mutex::new(None::<String>));
    let load = {
        let (stop, made, first_flow) = (stop.clone(), made.clone(), first_flow.clone());
        let (api, signer) = (api.clone(), signer.clone());
        let client = Client::new(&url, busy.clone()).unwrap();
        let holder = holder.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let r = IdentityRequest::new(
                    &holder.name,
                    &holder.phone,
                    &holder.birthday,
                    format!("load-{n}"),
                    "부하",
                    600,
                );
                let receipt = client.request_verify_auth(&r).await.unwrap().receipt_id;
                let card = api
                    .pending()
                    .await
                    .unwrap()
                    .requests
                    .into_iter()
                    .find(|c| c.receipt_id == receipt)
                    .unwrap();
                let body = signer
                    .approval(
                        &card,
                        card.binding_code.clone(),
                        time::OffsetDateTime::now_utc(),
                    )
                    .unwrap();
                api.approve(&receipt, &body).await.unwrap();
                client.verify_auth(&receipt).await.unwrap();
                first_flow.lock().unwrap().get_or_insert(receipt);
                made.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while made.load(Ordering::Relaxed) < 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backup = tmp.path().join("backup");
    let backup = backup.to_str().unwrap();
    let (ok, out) = dojang(&["backup", "--data-dir", data, "--to", backup, "--json"]);
    assert!(ok, "{out}");
    let during = made.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let summary = json(&out);
    assert!(summary["schemaVersion"].as_i64().unwrap() >= 19);
    assert!(
        during > 10,
        "the server was busy during the backup ({during})"
    );
    let first_flow = first_flow.lock().unwrap().clone().unwrap();
    // Only the owner can read it: it holds the data key.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["dojang.db", "keys/data.key", "ca/ca.key"] {
            let mode = std::fs::metadata(tmp.path().join("backup").join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    // Another backup into the same directory is refused.
    let (ok, out) = dojang(&["backup", "--data-dir", data, "--to", backup]);
    assert!(!ok);
    assert!(out.contains("not empty"), "{out}");
    server.terminate();

    // Restore into a new data directory; a new server there.
    let data2 = tmp.path().join("data2");
    let data2 = data2.to_str().unwrap();
    let (ok, out) = dojang(&["restore", "--from", backup, "--data-dir", data2]);
    assert!(ok, "{out}");
    // Not over an instance.
    let (ok, out) = dojang(&["restore", "--from", backup, "--data-dir", data2]);
    assert!(!ok);
    assert!(out.contains("already holds"), "{out}");
    let (mut server2, url2) = serve(data2, config);
    let client2 = Client::new(&url2, creds.clone()).unwrap();
    // The same relying party, the same CA, the same person, the request made before the backup.
    let st = client2
        .get_verify_auth_state(&waiting.receipt_id)
        .await
        .unwrap();
    assert_eq!(st.state, 0);
    let ca1 = std::fs::read(tmp.path().join("data/ca/ca.pem")).unwrap();
    let ca2 = std::fs::read(tmp.path().join("data2/ca/ca.pem")).unwrap();
    assert_eq!(ca1, ca2);
    // The phone's credential and key still work: it approves, the party verifies; names decrypt
    // (the data key came along).
    let api = dojang_app::DeviceApi::new(&url2).unwrap().with_token(token);
    let pending = api.pending().await.unwrap();
    let card = pending
        .requests
        .iter()
        .find(|c| c.receipt_id == waiting.receipt_id)
        .expect("the request made before the backup is waiting on the restored server")
        .clone();
    // The other party's flows up to the backup's moment are there, verified.
    let busy2 = Client::new(&url2, busy.clone()).unwrap();
    assert_eq!(
        busy2
            .get_verify_auth_state(&first_flow)
            .await
            .unwrap()
            .state,
        1
    );
    let body = signer
        .approval(
            &card,
            card.binding_code.clone(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    api.approve(&card.receipt_id, &body).await.unwrap();
    let v = client2.verify_auth(&waiting.receipt_id).await.unwrap();
    assert_eq!(v.state, 1);
    assert_eq!(v.receiver_name, holder.name);
    // And new requests go on.
    client2.request_verify_auth(&ask("after")).await.unwrap();
    server2.terminate();

    // A damaged backup is refused before anything is written.
    let key = tmp.path().join("backup/keys/data.key");
    let mut bytes = std::fs::read(&key).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&key, bytes).unwrap();
    let data3 = tmp.path().join("data3");
    let (ok, out) = dojang(&[
        "restore",
        "--from",
        backup,
        "--data-dir",
        data3.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(out.contains("damaged: keys/data.key"), "{out}");
    assert!(!data3.exists(), "nothing written");
    // PostgreSQL is not this command's.
    let (ok, out) = dojang(&[
        "backup",
        "--data-dir",
        data,
        "--database-url",
        "postgres://u@127.0.0.1:1/db",
        "--to",
        tmp.path().join("pg").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(out.contains("pg_dump"), "{out}");
}
