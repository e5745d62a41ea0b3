//! The OpenAPI document and the reference page, fetched over real HTTP: every route of the native
//! API is documented (checked against the `paths` constants, not against the document's own
//! generator), every documented operation is really routed, every catalogue code is in the
//! error schema, and the example bodies are accepted by the server.

use dojang_proto::rp::Kind;
use dojang_proto::{ErrorCode, paths};
use dojang_testkit::TestServer;
use serde_json::Value;

use crate::common::*;

/// Every route of the native API, from the path constants: (method, template).
fn native_routes() -> Vec<(&'static str, String)> {
    Kind::ALL
        .into_iter()
        .flat_map(|k| {
            [
                ("post", paths::create_path(k)),
                ("get", paths::status_template(k)),
                ("post", paths::verify_template(k)),
                ("post", paths::cancel_template(k)),
            ]
        })
        .chain([
            ("post", paths::LOGIN_PAGE_EXCHANGE.to_owned()),
            ("post", paths::CLOUD_EXCHANGE.to_owned()),
            ("post", paths::CLOUD_ALT_AUTH.to_owned()),
        ])
        .collect()
}

async fn document(s: &TestServer) -> Value {
    let res = reqwest::get(format!("{}{}", s.url(), paths::OPENAPI))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_documents_every_route() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );

    let routes = native_routes();
    for (method, path) in &routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(op["summary"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(op["responses"]["200"].is_object(), "{method} {path}");
        // Authentication failures are documented on every call.
        assert!(op["responses"]["401"].is_object(), "{method} {path}");
        assert!(op["security"].is_array() || doc["security"].is_array());
    }
    // Nothing documented that is not a route.
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, routes.len());

    // Status long poll, Idempotency-Key, 429 with Retry-After, login verify by txID.
    let status = &doc["paths"][paths::status_template(Kind::Sign)]["get"];
    assert!(
        status["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "wait" && p["in"] == "query")
    );
    let create = &doc["paths"][paths::create_path(Kind::Identity)]["post"];
    assert!(
        create["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
    );
    assert!(create["responses"]["429"]["headers"]["Retry-After"].is_object());
    assert!(create["responses"]["409"].is_object() && create["responses"]["422"].is_object());
    let login_verify = &doc["paths"][paths::verify_template(Kind::Login)]["post"];
    assert!(
        login_verify["parameters"][0]["schema"]["pattern"]
            .as_str()
            .unwrap()
            .contains("[0-9a-f]{40}")
    );

    // The HMAC scheme.
    let schemes = &doc["components"]["securitySchemes"];
    let names: Vec<&str> = schemes
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Authorization") && names.contains(&"X-Dojang-Date"));
    assert!(schemes.to_string().contains("DOJANG-HMAC-SHA256"));

    // Every code of the catalogue is in the error schema.
    let codes: Vec<i64> = doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_i64().unwrap())
        .collect();
    for c in ErrorCode::ALL {
        assert!(codes.contains(&c.code()), "{c:?} missing from ErrorBody");
    }

    // Wire names and formats as the server sends them.
    let status_schema = &doc["components"]["schemas"]["RequestStatus"];
    assert_eq!(
        status_schema["properties"]["requestDT"]["pattern"],
        "^[0-9]{14}$"
    );
    assert!(status_schema["properties"]["receiptID"].is_object());
    let kinds = &doc["components"]["schemas"]["Kind"]["enum"];
    for k in Kind::ALL {
        assert!(kinds.as_array().unwrap().contains(&Value::from(k.as_str())));
    }
    s.stop().await;
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_authenticated() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let client = reqwest::Client::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = format!(
                "{}{}",
                s.url(),
                path.replace("{receipt_id}", &"0".repeat(32))
            );
            let res = client
                .request(method.to_uppercase().parse().unwrap(), url)
                .send()
                .await
                .unwrap();
            let a = answer(res).await;
            assert_eq!(
                (a.status, a.code()),
                (401, ErrorCode::AuthorizationMissing.code()),
                "{method} {path}"
            );
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn the_example_bodies_are_accepted() {
    let s = TestServer::start().await;
    let _device = s.enrol(NAME, PHONE, BIRTH).await;
    let doc = document(&s).await;
    for k in Kind::ALL {
        // One party per kind: a person has one waiting request per relying party.
        let party = s.add_party(&format!("기관 {k}")).await;
        let path = paths::create_path(k);
        let example =
            &doc["paths"][&path]["post"]["requestBody"]["content"]["application/json"]["example"];
        assert!(example.is_object(), "{path} has no example");
        let a = signed(
            &s,
            &party,
            "POST",
            &path,
            example.to_string().as_bytes(),
            None,
        )
        .await;
        assert_eq!(a.status, 200, "{path}: {:?}", a.body);
        assert_eq!(a.body["receiptID"].as_str().unwrap().len(), 32);
    }
    s.stop().await;
}

#[tokio::test]
async fn the_reference_page_lists_every_operation_and_code() {
    let s = TestServer::start().await;
    let res = reqwest::get(format!("{}{}", s.url(), paths::API_REFERENCE))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for (method, path) in native_routes() {
        let heading = format!(
            "<span class=\"method {method}\">{}</span><code>{path}</code>",
            method.to_uppercase()
        );
        assert!(html.contains(&heading), "{heading} missing");
    }
    for c in ErrorCode::ALL {
        assert!(html.contains(&c.code().to_string()), "{c:?} missing");
    }
    for part in [
        "Parameters",
        "Idempotency-Key",
        "wait",
        "Request body",
        "Example:",
        "Responses",
        "Retry-After",
        "DOJANG-HMAC-SHA256",
        "id=\"schema-CreateRequest\"",
        "id=\"schema-RequestStatus\"",
        "receiverHP",
        "본인인증",
    ] {
        assert!(html.contains(part), "{part} missing");
    }
    // Self-contained: nothing is loaded from elsewhere.
    assert!(!html.contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    s.stop().await;
}

#[tokio::test]
async fn the_webhook_is_described_as_it_is_sent() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let hook = &doc["webhooks"]["requestEvent"]["post"];
    assert!(hook.is_object(), "{:#}", doc["webhooks"]);
    assert_eq!(
        hook["security"],
        serde_json::json!([]),
        "no HMAC of ours on it"
    );
    assert_eq!(
        hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WebhookEvent"
    );
    let headers: Vec<&str> = hook["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["Dojang-Signature", "Dojang-Event", "Dojang-Delivery"]
    );
    // The schema's properties are exactly the body's fields, all required.
    let body = serde_json::to_value(dojang_proto::webhook::WebhookEvent {
        event: "signed".into(),
        receipt_id: "1".repeat(32),
        kind: Kind::Identity,
        client_code: "012345678901".into(),
        state: 1,
        occurred_dt: "20261201120000".into(),
    })
    .unwrap();
    let schema = &doc["components"]["schemas"]["WebhookEvent"];
    let mut props: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let mut fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    props.sort();
    fields.sort();
    assert_eq!(props, fields);
    assert_eq!(schema["required"].as_array().unwrap().len(), fields.len());
    let page = reqwest::get(format!("{}/docs/api", s.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"webhooks\""));
    assert!(page.contains("Dojang-Signature"));
    s.stop().await;
}
