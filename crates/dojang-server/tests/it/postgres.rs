//! The same server on PostgreSQL (when `DOJANG_TEST_PG_URL` is set, as CI does).

use dojang_client::{ErrorCode, IdentityRequest};
use dojang_core::Clock;
use dojang_testkit::{TestServer, pg_url};

use crate::common::*;

#[tokio::test]
async fn identity_flow_on_postgres() {
    let Some(url) = pg_url() else {
        eprintln!("DOJANG_TEST_PG_URL not set: PostgreSQL leg skipped");
        return;
    };
    let s = TestServer::start_postgres(&url).await;
    let party = s.add_party("기관").await;
    let device = s.enrol(NAME, PHONE, BIRTH).await;
    let client = s.client(&party);
    let r = client
        .request_verify_auth(&IdentityRequest::new(
            NAME, PHONE, BIRTH, "pg-token", "t", 300,
        ))
        .await
        .unwrap();
    assert_eq!(
        device
            .approve(&r.receipt_id, s.clock().now())
            .await
            .unwrap(),
        1
    );
    let v = client.verify_auth(&r.receipt_id).await.unwrap();
    assert_eq!(v.token.as_deref(), Some("pg-token"));
    let e = client.verify_auth(&r.receipt_id).await.unwrap_err();
    assert_eq!(e.error_code(), Some(ErrorCode::AlreadyVerified));
    s.stop().await;
}
