//! The OpenAPI 3.1 document of the native relying-party API, generated from the code: the
//! operations from the route list of `rp.rs` ([`rp::routes`]), the schemas from dojang-proto's
//! wire types (`utoipa::ToSchema`), the error answers of each call from the codes it can answer
//! and the one code → status mapping of `error.rs`. Served at `GET /v1/openapi.json`; the
//! reference page (`reference.rs`) is rendered from the same document.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use dojang_core::{NewRequest, Policy, RequestKind, ValidationError};
use dojang_proto::rp::{
    CancelRequest, Cancelled, CreateRequest, DebitAccount, Kind, LoginPageExchange,
    LoginPageResult, ReceiptResponse, RequestStatus, TokenItem, TokenType, VerifyResult,
};
use dojang_proto::webhook::WebhookEvent;
use dojang_proto::{ErrorBody, ErrorCode, paths};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ComponentsBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

use super::error::status;
use super::reference;
use super::rp::{self, Call};
use crate::service::requests::MAX_WAIT_SECS;
use crate::state::AppState;

/// The name of the `Authorization` security scheme.
pub const HMAC_SCHEME: &str = "DojangHmac";
/// The name of the `X-Dojang-Date` security scheme (sent together with the signature).
pub const DATE_SCHEME: &str = "DojangDate";

const JSON: &str = "application/json";

/// The two routes: the document and the reference page, both rendered once, here.
pub fn router() -> Router<AppState> {
    let doc = document_json();
    let json = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    let html = Bytes::from(reference::render(&doc));
    let csp = HeaderValue::from_str(&reference::content_security_policy())
        .unwrap_or(HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route(
            paths::OPENAPI,
            get(move || {
                let body = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
                        body,
                    )
                }
            }),
        )
        .route(
            paths::API_REFERENCE,
            get(move || {
                let body = html.clone();
                let csp = csp.clone();
                async move {
                    (
                        [
                            (
                                header::CONTENT_TYPE,
                                HeaderValue::from_static("text/html; charset=utf-8"),
                            ),
                            (header::CONTENT_SECURITY_POLICY, csp),
                        ],
                        body,
                    )
                }
            })
            // A page like the others: nosniff, Referrer-Policy (and this policy kept).
            .layer(axum::middleware::from_fn(crate::pages::web::page_headers)),
        )
}

/// The document as served: [`document`] with its link objects spelled as OpenAPI spells them.
/// utoipa 5.5 serialises `Link` fields in snake case (`operation_id`), which OpenAPI tools
/// reject (schemathesis: "missing both operationRef and operationId"); utoipa 6 fixes it.
pub fn document_json() -> Value {
    let mut v = serde_json::to_value(document()).unwrap_or(Value::Null);
    let links = v
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses").and_then(Value::as_object_mut))
        .flat_map(|responses| responses.values_mut())
        .filter_map(|r| r.get_mut("links").and_then(Value::as_object_mut))
        .flat_map(|links| links.values_mut())
        .filter_map(Value::as_object_mut);
    for link in links {
        for (from, to) in [
            ("operation_id", "operationId"),
            ("operation_ref", "operationRef"),
            ("request_body", "requestBody"),
        ] {
            if let Some(x) = link.remove(from) {
                link.insert(to.to_owned(), x);
            }
        }
    }
    // OpenAPI 3.1's `webhooks`, which utoipa 5.5 cannot build.
    if let Some(doc) = v.as_object_mut() {
        let item = serde_json::to_value(webhook_item()).unwrap_or(Value::Null);
        doc.insert(
            "webhooks".to_owned(),
            serde_json::json!({ WEBHOOK_NAME: item }),
        );
    }
    v
}

/// The name of the webhook in the document.
pub const WEBHOOK_NAME: &str = "requestEvent";

/// What dojang POSTs to a relying party's callback URL (`dojang admin rp webhook set`).
fn webhook_item() -> PathItem {
    let header = |name: &str, description: &str, pattern: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(pattern)),
            ))
            .build()
    };
    let op = OperationBuilder::new()
        .operation_id(Some(WEBHOOK_NAME))
        .summary(Some(
            "A request changed state (POSTed to your callback URL)",
        ))
        .description(Some(
            "Sent for every state change of your requests, of every kind, once a callback URL \
             is registered for you (`dojang admin rp webhook set`). Check `Dojang-Signature` \
             over the raw body before parsing: `t=<unix seconds>,v1=<hex HMAC-SHA256 keyed with \
             the whole whsec_… secret, over \"<t>.<body>\">`; refuse a `t` more than five \
             minutes away. Any 2xx within 10 seconds is a delivery; anything else is retried \
             (30 s, doubling to at most an hour apart, for 24 hours) with the same \
             `Dojang-Delivery` and body. The body holds no personal data: on `signed`, call \
             verify.",
        ))
        .parameter(header(
            "Dojang-Signature",
            "`t=<unix seconds>,v1=<64 hex digits>`",
            "^t=[0-9]+(,v1=[0-9a-f]{64})+$",
        ))
        .parameter(header(
            "Dojang-Event",
            "The event name, as in the body.",
            "^(signed|declined|cancelled|failed|expired|verified)$",
        ))
        .parameter(header(
            "Dojang-Delivery",
            "The delivery's number: the same on every retry; deduplicate on it.",
            "^[0-9]+$",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(schema_ref::<WebhookEvent>()))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "2XX",
            ResponseBuilder::new()
                .description("Delivered. Any other answer, or none within 10 seconds, is retried."),
        )
        .securities(Some(Vec::<SecurityRequirement>::new()))
        .build();
    PathItem::new(HttpMethod::Post, op)
}

/// `POST /v1/login-page/exchange`: the hosted login's one-time code for the verified person.
fn exchange_item() -> PathItem {
    let mut op = OperationBuilder::new()
        .operation_id(Some("exchangeLoginPageCode"))
        .tag("identity")
        .summary(Some("Hosted login: exchange the one-time code"))
        .description(Some(
            "The hosted login (`/login/{clientCode}?state=…`) sends the browser back to your \
             registered return URL with `code` and `state` once the person has confirmed in \
             the app. Check `state`, then exchange `code` here, server to server, within two \
             minutes: the identity request is verified (once) and answered with the consent \
             the person gave. A code is exchanged once, and only by the relying party whose \
             login it is.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(schema_ref::<LoginPageExchange>()))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "200",
            json_response(
                "The verified person and their consent.",
                schema_ref::<LoginPageResult>(),
            ),
        );
    let mut by_status: BTreeMap<StatusCode, Vec<ErrorCode>> = BTreeMap::new();
    for c in exchange_codes() {
        by_status.entry(status(c)).or_default().push(c);
    }
    for (st, codes) in by_status {
        let list = codes
            .iter()
            .map(|c| format!("`{}` {}", c.code(), c.message_en()))
            .collect::<Vec<_>>()
            .join("; ");
        op = op.response(st.as_str(), json_response(&list, schema_ref::<ErrorBody>()));
    }
    PathItem::new(HttpMethod::Post, op.build())
}

/// One of the native API's calls outside `/v1/{kind}`: HMAC-signed, a JSON body in and out.
struct Extra {
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    request: RefOr<Schema>,
    answer: (&'static str, RefOr<Schema>),
    codes: Vec<ErrorCode>,
}

fn extra_item(e: Extra) -> PathItem {
    let mut op = OperationBuilder::new()
        .operation_id(Some(e.id))
        .tag(e.tag)
        .summary(Some(e.summary))
        .description(Some(e.description))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(JSON, ContentBuilder::new().schema(Some(e.request)).build())
                .required(Some(Required::True))
                .build(),
        ))
        .response("200", json_response(e.answer.0, e.answer.1));
    let mut by_status: BTreeMap<StatusCode, Vec<ErrorCode>> = BTreeMap::new();
    for c in e.codes {
        by_status.entry(status(c)).or_default().push(c);
    }
    for (st, codes) in by_status {
        let list = codes
            .iter()
            .map(|c| format!("`{}` {}", c.code(), c.message_en()))
            .collect::<Vec<_>>()
            .join("; ");
        op = op.response(st.as_str(), json_response(&list, schema_ref::<ErrorBody>()));
    }
    PathItem::new(HttpMethod::Post, op.build())
}

/// What every HMAC call can answer before it looks at its body.
fn signed_call_codes() -> Vec<ErrorCode> {
    use ErrorCode as C;
    vec![
        C::AuthorizationMissing,
        C::AuthorizationMalformed,
        C::UnknownLinkId,
        C::SignatureMismatch,
        C::DateMissing,
        C::DateMalformed,
        C::DateOutOfWindow,
        C::BodyTooLarge,
        C::MalformedJson,
        C::FieldType,
    ]
}

/// `POST /v1/cloud/exchange`.
fn cloud_exchange_item() -> PathItem {
    let mut codes = signed_call_codes();
    codes.extend([ErrorCode::CloudCodeInvalid, ErrorCode::Internal]);
    extra_item(Extra {
        id: "exchangeCloudCode",
        tag: "cloud",
        summary: "Cloud certificate: exchange the SDK's one-time code",
        description: "The SDK (`/sdk/v1/dojang.js`) hands your page a one-time `code` after              `Dojang.sign()` or, with `simpleAuthToken`, after `Dojang.issue()`. Exchange it              here, server to server, within five minutes, once: a sign code answers the              request's `kind` and `receiptID` (then call `POST /v1/{kind}/{receiptID}/verify`              for the CMS and the person); an issue code (`kind` = `issue`) answers the person              who was issued a cloud certificate. A code of another relying party answers like              an unknown one.",
        request: schema_ref::<dojang_proto::cloud::CloudExchange>(),
        answer: (
            "What the code stood for.",
            schema_ref::<dojang_proto::cloud::CloudExchanged>(),
        ),
        codes,
    })
}

/// `POST /v1/cloud/alt-auth`.
fn cloud_alt_item() -> PathItem {
    use ErrorCode as C;
    let mut codes = signed_call_codes();
    codes.extend([
        C::NameMissing,
        C::NameTooLong,
        C::NameInvalid,
        C::PhoneMissing,
        C::PhoneNotDigits,
        C::PhoneLength,
        C::BirthdayMissing,
        C::BirthdayFormat,
        C::BirthdayInvalid,
        C::Internal,
    ]);
    extra_item(Extra {
        id: "cloudAltAuth",
        tag: "cloud",
        summary: "Cloud certificate: alternative authentication (MO 생략)",
        description: "You proved the person yourself (your own identity check) and want them              issued a dojang cloud certificate without a second check: send the person here and              pass the answer's `txId` and `permissionCode` to `Dojang.init({altAuth})`. They are              valid for ten minutes, once, and only with your own publishable key. The              certificate records the proof as `alt` (treated like an SMS check: requests with              `allowSimpleRegistYN = false` refuse it).",
        request: schema_ref::<dojang_proto::cloud::AltAuth>(),
        answer: (
            "The transaction.",
            schema_ref::<dojang_proto::cloud::AltAuthorized>(),
        ),
        codes,
    })
}

/// What the exchange can answer besides success.
pub fn exchange_codes() -> Vec<ErrorCode> {
    use ErrorCode as C;
    vec![
        C::AuthorizationMissing,
        C::AuthorizationMalformed,
        C::UnknownLinkId,
        C::SignatureMismatch,
        C::DateMissing,
        C::DateMalformed,
        C::DateOutOfWindow,
        C::BodyTooLarge,
        C::MalformedJson,
        C::FieldType,
        C::LoginCodeInvalid,
        C::VerifyWindowPassed,
        C::AlreadyVerified,
        C::SandboxCertificate,
        C::Internal,
    ]
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut builder = PathsBuilder::new();
    for (kind, call) in rp::routes() {
        builder = builder.path(
            call.template(kind),
            PathItem::new(http_method(call), operation(kind, call)),
        );
    }
    builder = builder.path(paths::LOGIN_PAGE_EXCHANGE, exchange_item());
    builder = builder.path(paths::CLOUD_EXCHANGE, cloud_exchange_item());
    builder = builder.path(paths::CLOUD_ALT_AUTH, cloud_alt_item());
    let paths = builder.build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("dojang native relying-party API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(INTRO))
                .build(),
        )
        .paths(paths)
        .components(Some(components()))
        .security(Some([security()]))
        .tags(Some(
            Kind::ALL
                .map(|k| {
                    TagBuilder::new()
                        .name(k.as_str())
                        .description(Some(kind_label(k)))
                        .build()
                })
                .into_iter()
                .chain([TagBuilder::new()
                    .name("cloud")
                    .description(Some(
                        "The cloud certificate's server-to-server calls (docs/cloud-api.md)",
                    ))
                    .build()]),
        ))
        .build()
}

const INTRO: &str = "\
The native relying-party API of dojang: five kinds of request (identity verification, \
e-signature, multi-document signing, direct-debit consent, simple login), each with the same \
four calls under `/v1/{kind}`.\n\n\
**Authentication.** Every call is signed with the relying party's LinkID and SecretKey:\n\n\
```text\nX-Dojang-Date: 2026-11-22T01:02:03Z\n\
Authorization: DOJANG-HMAC-SHA256 <LinkID>:<signature>\n```\n\n\
`signature` is the standard base64 of HMAC-SHA256, keyed with the base64-decoded SecretKey, \
over these five lines joined by `\\n` (no trailing newline): `DOJANG-HMAC-SHA256`, the method \
in upper case, the path and query exactly as sent, the `X-Dojang-Date` value exactly as sent, \
and the standard base64 of the SHA-256 of the raw body bytes (of the empty string when there \
is no body). The date must be within five minutes of the server's clock.\n\n\
**Errors.** Every non-2xx answer is an `ErrorBody` `{\"code\": -10300001, \"message\": \"…\"}`; \
the message is Korean when `Accept-Language` starts with `ko`. Every response carries an \
`x-request-id` (the caller's, if it sent one).";

fn http_method(call: Call) -> HttpMethod {
    match call {
        Call::Status => HttpMethod::Get,
        Call::Create | Call::Verify | Call::Cancel => HttpMethod::Post,
    }
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Identity => "identity verification (본인인증)",
        Kind::Sign => "e-signature (전자서명)",
        Kind::MultiSign => "multi-document signing (다건 전자서명)",
        Kind::DebitConsent => "direct-debit consent (출금동의)",
        Kind::Login => "simple login (간편로그인)",
    }
}

fn schema_ref<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(T::name()))
}

fn components() -> utoipa::openapi::Components {
    let mut schemas = Vec::new();
    fn add<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push((T::name().into_owned(), T::schema()));
        T::schemas(out);
    }
    add::<CreateRequest>(&mut schemas);
    add::<TokenItem>(&mut schemas);
    add::<TokenType>(&mut schemas);
    add::<Kind>(&mut schemas);
    add::<ReceiptResponse>(&mut schemas);
    add::<RequestStatus>(&mut schemas);
    add::<VerifyResult>(&mut schemas);
    add::<CancelRequest>(&mut schemas);
    add::<Cancelled>(&mut schemas);
    add::<ErrorBody>(&mut schemas);
    add::<WebhookEvent>(&mut schemas);
    add::<LoginPageExchange>(&mut schemas);
    add::<LoginPageResult>(&mut schemas);
    add::<dojang_proto::cloud::CloudExchange>(&mut schemas);
    add::<dojang_proto::cloud::CloudExchanged>(&mut schemas);
    add::<dojang_proto::cloud::CloudExchangePerson>(&mut schemas);
    add::<dojang_proto::cloud::AltAuth>(&mut schemas);
    add::<dojang_proto::cloud::AltAuthorized>(&mut schemas);
    for kind in Kind::ALL {
        schemas.push((create_schema_name(kind), create_schema(kind).into()));
    }
    ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            HMAC_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`DOJANG-HMAC-SHA256 <LinkID>:<signature>`: the standard base64 HMAC-SHA256, keyed \
                 with the base64-decoded SecretKey, of `DOJANG-HMAC-SHA256\\n<METHOD>\\n<path and \
                 query as sent>\\n<X-Dojang-Date as sent>\\n<base64 SHA-256 of the raw body>`.",
            ))),
        )
        .security_scheme(
            DATE_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Dojang-Date",
                "The time of the call, RFC 3339 in UTC with whole seconds \
                 (`2026-11-22T01:02:03Z`), within five minutes of the server's clock; signed.",
            ))),
        )
        .build()
}

/// Both headers together: one requirement naming both schemes.
fn security() -> SecurityRequirement {
    SecurityRequirement::new(HMAC_SCHEME, Vec::<String>::new())
        .add(DATE_SCHEME, Vec::<String>::new())
}

fn operation(kind: Kind, call: Call) -> Operation {
    let label = kind_label(kind);
    let (summary, description) = match call {
        Call::Create => (
            format!("Request: {label}"),
            "Pushes the request to the person's device (or, with `appUseYN`, answers a `scheme` \
             URL that opens the app). Every kind takes the same body and refuses the fields of \
             other kinds (`-10201141`). One waiting request per person and relying party (409 \
             `-10300011`); a per-person rate across relying parties (429 `-10300012` with \
             `Retry-After`). With `Idempotency-Key`, the same key and body within 10 minutes \
             answers the first receipt again."
                .to_owned(),
        ),
        Call::Status => (
            format!("Status: {label}"),
            format!(
                "The state (0 waiting, 1 signed, 2 expired, 3 declined or cancelled, 4 failed), \
                 the times (`yyyyMMddHHmmss`, KST) and every field except personal data and \
                 tokens. With `wait=N` (0–{MAX_WAIT_SECS} seconds) a waiting request is answered \
                 as soon as its state changes, or after N seconds."
            ),
        ),
        Call::Verify if kind == Kind::Login => (
            format!("Verify, once: {label}"),
            "Once, in state 1 and within the verify window after signing: the signature, the \
             signed token and the verified person (name, phone, birth date, CI, DI). The id is \
             the app-to-app `txID` (40 hex digits) or, for a pushed login, the 32-digit receipt \
             id."
            .to_owned(),
        ),
        Call::Verify => (
            format!("Verify, once: {label}"),
            "Once, in state 1 and within the verify window after signing: the signature(s) (one \
             per document for multi-sign), the signed token and the verified person (name, \
             phone, birth date, CI, DI)."
                .to_owned(),
        ),
        Call::Cancel => (
            format!("Cancel: {label}"),
            "A waiting request ends declined (state 3) with the reason `cancelled` (or \
             `cancelled: <reason>`), and the app withdraws the card."
                .to_owned(),
        ),
    };
    let mut op = OperationBuilder::new()
        .operation_id(Some(operation_id(kind, call)))
        .tag(kind.as_str())
        .summary(Some(summary))
        .description(Some(description));
    match call {
        Call::Create => {
            op = op
                .parameter(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "1–64 visible ASCII characters. The same key with the same body \
                             within 10 minutes answers the first receipt; with another body \
                             409 `-10300013`.",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(64))
                                .pattern(Some("^[!-~]+$")),
                        )),
                )
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .description(Some(
                            "The fields this kind accepts (`CreateRequest` is the union of every \
                             kind's); any field of another kind is refused with `-10201141`.",
                        ))
                        .required(Some(Required::True))
                        .content(
                            JSON,
                            ContentBuilder::new()
                                .schema(Some(RefOr::Ref(Ref::from_schema_name(
                                    create_schema_name(kind),
                                ))))
                                .example(serde_json::to_value(example(kind)).ok())
                                .build(),
                        )
                        .build(),
                ));
        }
        Call::Status | Call::Verify | Call::Cancel => {
            op = op.parameter(receipt_parameter(kind, call));
        }
    }
    if call == Call::Status {
        op = op.parameter(
            ParameterBuilder::new()
                .name("wait")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(
                    "Long poll: wait up to this many seconds for a waiting request to change.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0))
                        .maximum(Some(MAX_WAIT_SECS)),
                )),
        );
    }
    if call == Call::Cancel {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .description(Some(
                    "Optional: why the relying party withdraws the request.",
                ))
                .required(Some(Required::False))
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(schema_ref::<CancelRequest>()))
                        .build(),
                )
                .build(),
        ));
    }
    let (ok, ok_description) = match call {
        Call::Create => (schema_ref::<ReceiptResponse>(), "The receipt."),
        Call::Status => (
            schema_ref::<RequestStatus>(),
            "The state and the request's fields.",
        ),
        Call::Verify => (
            schema_ref::<VerifyResult>(),
            "The signature(s) and the verified person.",
        ),
        Call::Cancel => (schema_ref::<Cancelled>(), "Cancelled (state 3)."),
    };
    let mut success = json_response(ok_description, ok);
    if call == Call::Create {
        // The receipt leads to the other three calls (schemathesis follows these links).
        for next in [Call::Status, Call::Verify, Call::Cancel] {
            success = success.link(
                next.as_str(),
                LinkBuilder::new()
                    .operation_id(operation_id(kind, next))
                    .parameter("receipt_id", "$response.body#/receiptID")
                    .description(format!("The {} call on this receipt.", next.as_str()))
                    .build(),
            );
        }
    }
    op = op.response("200", success);
    for (st, codes) in error_responses(kind, call) {
        let mut text = format!(
            "{}: answers one of these codes:\n",
            st.canonical_reason().unwrap_or("error")
        );
        for c in &codes {
            text.push_str(&format!(
                "\n* `{}` `{}`: {}",
                c.code(),
                c.name(),
                c.message_en()
            ));
        }
        // An ErrorBody whose code is one of these: the document says exactly which codes each
        // status of each call carries, and schemathesis holds the server to it.
        let only_these = ObjectBuilder::new().property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some(codes.iter().map(|c| c.code()))),
        );
        let schema = AllOfBuilder::new()
            .item(schema_ref::<ErrorBody>())
            .item(only_these);
        let mut response = json_response(&text, schema.into());
        if st == StatusCode::TOO_MANY_REQUESTS {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                    )
                    .description(Some(
                        "Seconds until a request to this person is accepted again.",
                    ))
                    .build(),
            );
        }
        op = op.response(st.as_str(), response);
    }
    op.build()
}

fn operation_id(kind: Kind, call: Call) -> String {
    format!("{}-{}", call.as_str(), kind.as_str())
}

fn create_schema_name(kind: Kind) -> String {
    let pascal: String = kind
        .as_str()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{pascal}CreateRequest")
}

/// Validate a create body of `kind` as the server does (dojang-core, pure: no store, no clock).
fn validate(kind: Kind, body: &Value) -> Result<(), ValidationError> {
    let wire: CreateRequest =
        serde_json::from_value(body.clone()).map_err(|_| ValidationError::FieldNotForKind)?;
    // A fixed day: only birth dates are compared with it, and the examples' lie decades before.
    let today = time::macros::datetime!(2026-01-01 00:00 UTC);
    NewRequest::from_wire(
        RequestKind::from_wire(kind),
        &wire,
        &Policy::default(),
        today,
    )
    .map(|_| ())
}

/// The create body of one kind: the properties of [`CreateRequest`] the kind accepts, and the
/// ones it requires — both found by asking the server's own validation. A field is foreign when
/// sending it alone is refused with `FieldNotForKind`; it is required when leaving it out of the
/// kind's valid [`example`] is refused.
fn create_schema(kind: Kind) -> Schema {
    let RefOr::T(Schema::Object(mut object)) = CreateRequest::schema() else {
        return Schema::default();
    };
    let example = serde_json::to_value(example(kind)).unwrap_or(Value::Null);
    let accepts = |name: &str| {
        // Some value of the field's type: the first that deserialises.
        [
            Value::from("x"),
            Value::from(true),
            Value::from(1),
            Value::Array(Vec::new()),
        ]
        .into_iter()
        .map(|v| serde_json::json!({ name: v }))
        .find(|body| serde_json::from_value::<CreateRequest>(body.clone()).is_ok())
        .is_some_and(|body| validate(kind, &body) != Err(ValidationError::FieldNotForKind))
    };
    object.properties.retain(|name, _| accepts(name));
    object.required = object
        .properties
        .keys()
        .filter(|name| {
            let mut without = example.clone();
            without
                .as_object_mut()
                .and_then(|o| o.remove(name.as_str()))
                .is_some()
                && validate(kind, &without).is_err()
        })
        .cloned()
        .collect();
    object.description = Some(format!(
        "The body of `POST {}`: the fields a {} takes.",
        paths::create_path(kind),
        kind_label(kind)
    ));
    Schema::Object(object)
}

/// A valid create body of each kind, for the person of the schema's examples.
pub fn example(kind: Kind) -> CreateRequest {
    let (name, phone, birthday) = ("홍길동", "01012345678", "19900101");
    match kind {
        Kind::Identity => CreateRequest::new(
            name,
            phone,
            birthday,
            "login-nonce-42",
            "복지포털 로그인",
            300,
        ),
        Kind::Sign => CreateRequest::sign(
            name,
            phone,
            birthday,
            "약관 동의",
            TokenType::Text,
            "본인은 서비스 이용약관에 동의합니다.",
            300,
        ),
        Kind::MultiSign => CreateRequest::multi_sign(
            name,
            phone,
            birthday,
            "보험 계약",
            vec![
                TokenItem::new("약관", TokenType::Text, "보험 약관에 동의합니다."),
                // base64url SHA-256 of the empty document.
                TokenItem::new(
                    "계약서",
                    TokenType::Pdf,
                    "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
                ),
            ],
            300,
        ),
        Kind::DebitConsent => CreateRequest::debit_consent(
            name,
            phone,
            birthday,
            "자동이체 출금동의",
            DebitAccount {
                request_corp: "도장보험".into(),
                bank_name: "국민은행".into(),
                bank_account_num: "123-456-789".into(),
                bank_account_name: name.into(),
                bank_account_birthday: birthday.into(),
                bank_service_type: "CMS".into(),
            },
            300,
        ),
        Kind::Login => CreateRequest::login(name, phone, birthday, "login-nonce-42", 300),
    }
}

fn json_response(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .header(
            "x-request-id",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("The request's id: the caller's, if it sent one."))
                .build(),
        )
}

fn receipt_parameter(kind: Kind, call: Call) -> ParameterBuilder {
    let login_verify = kind == Kind::Login && call == Call::Verify;
    let (pattern, description) = if login_verify {
        (
            "^([0-9]{32}|[0-9a-f]{40})$",
            "The app-to-app `txID` (40 lower-case hex digits) or the 32-digit receipt id.",
        )
    } else {
        (
            "^[0-9]{32}$",
            "The 32-digit receipt id the create call answered.",
        )
    };
    ParameterBuilder::new()
        .name("receipt_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern)),
        ))
}

/// The codes every call can answer: authentication, the body, the server itself.
const EVERY_CALL: &[ErrorCode] = &[
    ErrorCode::AuthorizationMissing,
    ErrorCode::AuthorizationMalformed,
    ErrorCode::UnknownLinkId,
    ErrorCode::SignatureMismatch,
    ErrorCode::DateMissing,
    ErrorCode::DateMalformed,
    ErrorCode::DateOutOfWindow,
    ErrorCode::MalformedJson,
    ErrorCode::BodyTooLarge,
    ErrorCode::BodyTimeout,
    ErrorCode::Internal,
    ErrorCode::Unavailable,
];

/// The codes of every create call, whatever the kind.
const EVERY_CREATE: &[ErrorCode] = &[
    ErrorCode::FieldType,
    ErrorCode::IdempotencyKeyInvalid,
    ErrorCode::FieldNotForKind,
    ErrorCode::NameMissing,
    ErrorCode::NameTooLong,
    ErrorCode::NameInvalid,
    ErrorCode::PhoneMissing,
    ErrorCode::PhoneNotDigits,
    ErrorCode::PhoneLength,
    ErrorCode::BirthdayMissing,
    ErrorCode::BirthdayFormat,
    ErrorCode::BirthdayInvalid,
    ErrorCode::ExtraMessageTooLong,
    ErrorCode::ExpireInMissing,
    ErrorCode::ExpireInTooSmall,
    ErrorCode::ExpireInTooLarge,
    ErrorCode::CallCenterNumTooLong,
    ErrorCode::CallCenterNumInvalid,
    ErrorCode::CallCenterNameTooLong,
    ErrorCode::SubClientIdInvalid,
    ErrorCode::PayloadTooLong,
    ErrorCode::ReturnUrlMissing,
    ErrorCode::ReturnUrlInvalid,
    ErrorCode::SubClientNotFound,
    ErrorCode::ReceiverNotFound,
    ErrorCode::ReceiverNameMismatch,
    ErrorCode::RequestInProgress,
    ErrorCode::IdempotencyKeyReused,
    ErrorCode::PersonRateLimited,
    ErrorCode::TextUnsafeCharacter,
    ErrorCode::RequestReplayed,
];

/// The codes of one call of one kind.
pub fn codes(kind: Kind, call: Call) -> Vec<ErrorCode> {
    use ErrorCode as C;
    let mut out = EVERY_CALL.to_vec();
    match call {
        Call::Create => {
            out.extend_from_slice(EVERY_CREATE);
            out.extend_from_slice(match kind {
                Kind::Identity => &[
                    C::TokenMissing,
                    C::TokenTooLong,
                    C::TitleMissing,
                    C::TitleTooLong,
                ],
                Kind::Login => &[C::TokenMissing, C::TokenTooLong, C::TitleTooLong],
                Kind::Sign => &[
                    C::TokenMissing,
                    C::TokenTooLong,
                    C::TokenHashInvalid,
                    C::TokenUrlInvalid,
                    C::TokenTypeMissing,
                    C::TokenTypeInvalid,
                    C::TitleMissing,
                    C::TitleTooLong,
                ],
                Kind::MultiSign => &[
                    C::TokensMissing,
                    C::TokensTooMany,
                    C::TokenMissing,
                    C::TokenTooLong,
                    C::TokenHashInvalid,
                    C::TokenUrlInvalid,
                    C::TokenTypeMissing,
                    C::TokenTypeInvalid,
                    C::TitleMissing,
                    C::TitleTooLong,
                ],
                Kind::DebitConsent => &[
                    C::TitleMissing,
                    C::TitleTooLong,
                    C::RequestCorpMissing,
                    C::RequestCorpTooLong,
                    C::BankNameMissing,
                    C::BankNameTooLong,
                    C::BankAccountNumMissing,
                    C::BankAccountNumInvalid,
                    C::BankAccountNameMissing,
                    C::BankAccountNameTooLong,
                    C::BankAccountBirthdayMissing,
                    C::BankAccountBirthdayInvalid,
                    C::BankServiceTypeMissing,
                    C::BankServiceTypeInvalid,
                ],
            });
        }
        Call::Status => {
            out.extend_from_slice(&[C::ReceiptIdInvalid, C::WaitInvalid, C::ReceiptNotFound])
        }
        Call::Verify => {
            out.extend_from_slice(&[
                C::ReceiptIdInvalid,
                C::ReceiptNotFound,
                C::NotSignedYet,
                C::AlreadyVerified,
                C::RequestDeclined,
                C::RequestCancelled,
                C::RequestFailed,
                C::RequestExpired,
                C::VerifyWindowPassed,
                C::SandboxCertificate,
            ]);
            if kind == Kind::Login {
                out.push(C::TxIdInvalid);
            }
        }
        Call::Cancel => out.extend_from_slice(&[
            C::FieldType,
            C::ReasonTooLong,
            C::ReceiptIdInvalid,
            C::ReceiptNotFound,
            C::NotCancellable,
            C::RequestExpired,
        ]),
    }
    out
}

/// The codes of a call grouped by their HTTP status (from `error.rs`), in status order.
fn error_responses(kind: Kind, call: Call) -> BTreeMap<StatusCode, Vec<ErrorCode>> {
    let mut by_status: BTreeMap<StatusCode, Vec<ErrorCode>> = BTreeMap::new();
    for c in codes(kind, call) {
        by_status.entry(status(c)).or_default().push(c);
    }
    by_status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_route() {
        let v = document_json();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
        for (kind, call) in rp::routes() {
            let method = call.method().as_str().to_ascii_lowercase();
            assert!(
                v["paths"][call.template(kind)][&method].is_object(),
                "{method} {} missing",
                call.template(kind)
            );
        }
        // Each kind's body has its own fields, required ones first of all the person's.
        let schemas = &v["components"]["schemas"];
        let identity = &schemas["IdentityCreateRequest"];
        assert!(identity["properties"]["token"].is_object());
        assert!(identity["properties"].get("tokens").is_none());
        assert!(identity["properties"].get("bankName").is_none());
        let required = |s: &Value| -> Vec<String> {
            s["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
                .collect()
        };
        for name in [
            "receiverName",
            "receiverHP",
            "receiverBirthday",
            "expireIn",
            "token",
            "reqTitle",
        ] {
            assert!(required(identity).contains(&name.to_owned()), "{name}");
        }
        assert!(!required(&schemas["LoginCreateRequest"]).contains(&"reqTitle".to_owned()));
        assert!(required(&schemas["MultiSignCreateRequest"]).contains(&"tokens".to_owned()));
        assert!(
            required(&schemas["DebitConsentCreateRequest"]).contains(&"bankServiceType".to_owned())
        );
        assert!(
            schemas["DebitConsentCreateRequest"]["properties"]
                .get("token")
                .is_none()
        );
        // Links name their target the OpenAPI way.
        let link = &v["paths"]["/v1/sign"]["post"]["responses"]["200"]["links"]["status"];
        assert_eq!(link["operationId"], "status-sign");
        assert!(link.get("operation_id").is_none());
    }
}
