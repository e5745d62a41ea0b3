//! One native API call from the console: the form's fields for each kind and call, the request
//! built from them and signed by `dojang-client` itself (`Client::sign_request`, the same code
//! every SDK call goes through), sent over real HTTP to this server's own listener, and the raw
//! exchange shown back.

use std::collections::HashMap;
use std::sync::Arc;

use dojang_client::{Client, Credentials, RawResponse, SignedRequest};
use dojang_proto::auth;
use dojang_proto::rp::{CancelRequest, CreateRequest, Kind};

use crate::http::rp::Call;
use crate::state::AppState;

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// Several lines of text.
    Area,
    /// A whole number.
    Number,
    /// One of fixed values (or none).
    Select(&'static [&'static str]),
    /// `true`, `false` or not sent.
    YesNo,
    /// A JSON value.
    Json,
}

/// A field of a form: its wire name, how it is typed, and the kinds that use it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name on the wire (also the form field's `name` and `id`).
    pub name: &'static str,
    /// How it is typed in.
    pub input: Input,
    /// The kinds it belongs to.
    pub kinds: &'static [Kind],
    /// The kinds that require it.
    pub required: &'static [Kind],
}

const ALL: &[Kind] = &Kind::ALL;
const ONE_TIME: &[Kind] = &[Kind::Identity, Kind::Login, Kind::Sign];
const SIGN: &[Kind] = &[Kind::Sign];
const TYPED: &[Kind] = &[Kind::Sign, Kind::MultiSign];
const MULTI: &[Kind] = &[Kind::MultiSign];
const DEBIT: &[Kind] = &[Kind::DebitConsent];

const NONE: &[Kind] = &[];
const TITLED: &[Kind] = &[Kind::Identity, Kind::MultiSign, Kind::DebitConsent];

const fn f(
    name: &'static str,
    input: Input,
    kinds: &'static [Kind],
    required: &'static [Kind],
) -> Field {
    Field {
        name,
        input,
        kinds,
        required,
    }
}

/// Every field of `CreateRequest`, in the order of docs/api.md.
pub const CREATE_FIELDS: &[Field] = &[
    f("receiverName", Input::Text, ALL, ALL),
    f("receiverHP", Input::Text, ALL, ALL),
    f("receiverBirthday", Input::Text, ALL, ALL),
    f("token", Input::Area, ONE_TIME, ONE_TIME),
    f(
        "tokenType",
        Input::Select(&["TEXT", "HASH", "PDF", "URL"]),
        TYPED,
        SIGN,
    ),
    f("tokens", Input::Json, MULTI, MULTI),
    f("reqTitle", Input::Text, ALL, TITLED),
    f("signTitle", Input::Text, SIGN, SIGN),
    f("requestCorp", Input::Text, DEBIT, DEBIT),
    f("bankName", Input::Text, DEBIT, DEBIT),
    f("bankAccountNum", Input::Text, DEBIT, DEBIT),
    f("bankAccountName", Input::Text, DEBIT, DEBIT),
    f("bankAccountBirthday", Input::Text, DEBIT, DEBIT),
    f(
        "bankServiceType",
        Input::Select(&["CMS", "FIRM", "GIRO"]),
        DEBIT,
        DEBIT,
    ),
    f("extraMessage", Input::Area, ALL, NONE),
    f("expireIn", Input::Number, ALL, ALL),
    f("callCenterNum", Input::Text, ALL, NONE),
    f("callCenterName", Input::Text, ALL, NONE),
    f("subClientID", Input::Text, ALL, NONE),
    f("payload", Input::Text, ALL, NONE),
    f("allowSimpleRegistYN", Input::YesNo, ALL, NONE),
    f("verifyNameYN", Input::YesNo, ALL, NONE),
    f("appUseYN", Input::YesNo, ALL, NONE),
    f("returnURL", Input::Text, ALL, NONE),
    f("idempotencyKey", Input::Text, ALL, NONE),
];

/// The receipt (or, for login verify, the `txID`).
pub const RECEIPT: Field = f("receiptID", Input::Text, ALL, ALL);
/// The long-poll seconds of status.
pub const WAIT: Field = f("wait", Input::Number, ALL, NONE);
/// Why a request is cancelled.
pub const REASON: Field = f("reason", Input::Text, ALL, NONE);

/// The fields of one call of one kind.
pub fn fields(kind: Kind, call: Call) -> Vec<Field> {
    match call {
        Call::Create => CREATE_FIELDS
            .iter()
            .filter(|f| f.kinds.contains(&kind))
            .copied()
            .collect(),
        Call::Status => vec![RECEIPT, WAIT],
        Call::Verify => vec![RECEIPT],
        Call::Cancel => vec![RECEIPT, REASON],
    }
}

/// What is wrong with the form, before anything is sent: the page names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProblem {
    /// The field's name (`link_id`, `secret_key` or a wire name).
    pub field: &'static str,
    /// The word-table key of the message.
    pub message: &'static str,
    /// Details (a JSON parser's message), if any.
    pub detail: Option<String>,
}

fn problem(field: &'static str, message: &'static str) -> FormProblem {
    FormProblem {
        field,
        message,
        detail: None,
    }
}

fn value<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A call built from the form, ready to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// Path and query.
    pub path: String,
    /// The body (empty for status and verify).
    pub body: Vec<u8>,
    /// Extra headers (`idempotency-key`).
    pub headers: Vec<(String, String)>,
}

/// The path, body and extra headers of a call from the form, or what is wrong with the form.
pub fn build(kind: Kind, call: Call, form: &HashMap<String, String>) -> Result<Built, FormProblem> {
    let built = |path: String, body: Vec<u8>, headers: Vec<(String, String)>| Built {
        path,
        body,
        headers,
    };
    match call {
        Call::Create => {
            let mut body = serde_json::Map::new();
            for field in fields(kind, call) {
                if field.name == "idempotencyKey" {
                    continue;
                }
                let Some(v) = value(form, field.name) else {
                    continue;
                };
                let json = match field.input {
                    Input::Text | Input::Area | Input::Select(_) => {
                        serde_json::Value::String(v.to_owned())
                    }
                    Input::Number => v
                        .parse::<i64>()
                        .map(serde_json::Value::from)
                        .map_err(|_| problem(field.name, "console.err.number"))?,
                    Input::YesNo => match v {
                        "true" => serde_json::Value::Bool(true),
                        "false" => serde_json::Value::Bool(false),
                        _ => return Err(problem(field.name, "console.err.yesno")),
                    },
                    Input::Json => serde_json::from_str(v).map_err(|e| FormProblem {
                        field: field.name,
                        message: "console.err.json",
                        detail: Some(e.to_string()),
                    })?,
                };
                body.insert(field.name.to_owned(), json);
            }
            // Through the wire type, so the bytes are the ones the SDK would send.
            let request: CreateRequest = serde_json::from_value(serde_json::Value::Object(body))
                .map_err(|e| FormProblem {
                    field: "tokens",
                    message: "console.err.json",
                    detail: Some(e.to_string()),
                })?;
            let bytes = serde_json::to_vec(&request)
                .map_err(|_| problem("receiverName", "console.err.json"))?;
            let headers = value(form, "idempotencyKey")
                .map(|k| vec![("idempotency-key".to_owned(), k.to_owned())])
                .unwrap_or_default();
            Ok(built(call_path(kind, call, form)?, bytes, headers))
        }
        Call::Status => {
            let mut path = call_path(kind, call, form)?;
            if let Some(w) = value(form, "wait") {
                // Sent as typed: the server judges it (0–30).
                path.push_str("?wait=");
                path.push_str(&crate::pages::web::pct_encode(w));
            }
            Ok(built(path, Vec::new(), Vec::new()))
        }
        Call::Verify => Ok(built(call_path(kind, call, form)?, Vec::new(), Vec::new())),
        Call::Cancel => {
            let body = CancelRequest {
                reason: value(form, "reason").map(str::to_owned),
            };
            let bytes =
                serde_json::to_vec(&body).map_err(|_| problem("reason", "console.err.json"))?;
            Ok(built(call_path(kind, call, form)?, bytes, Vec::new()))
        }
    }
}

/// The path of a call; a receipt is percent-encoded as typed (the server judges it).
fn call_path(
    kind: Kind,
    call: Call,
    form: &HashMap<String, String>,
) -> Result<String, FormProblem> {
    let template = call.template(kind);
    if call == Call::Create {
        return Ok(template);
    }
    let receipt =
        value(form, "receiptID").ok_or_else(|| problem("receiptID", "console.err.receipt"))?;
    Ok(template.replace("{receipt_id}", &crate::pages::web::pct_encode(receipt)))
}

/// The relying party's credentials from the form, or which one is missing or malformed.
pub fn credentials(form: &HashMap<String, String>) -> Result<(String, String), FormProblem> {
    let link_id =
        value(form, "link_id").ok_or_else(|| problem("link_id", "console.err.link_id"))?;
    let secret =
        value(form, "secret_key").ok_or_else(|| problem("secret_key", "console.err.secret"))?;
    Ok((link_id.to_owned(), secret.to_owned()))
}

/// A call as it went over the wire.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request, signed.
    pub request: SignedRequest,
    /// The text that was signed (it does not contain the secret).
    pub string_to_sign: String,
    /// The answer, or why there was none.
    pub response: Result<RawResponse, String>,
}

/// Sign the call with `dojang-client` (at the server's clock) and send it to this server over
/// HTTP. A secret that is not base64 comes back as [`FormProblem`].
pub async fn send(
    state: &AppState,
    link_id: &str,
    secret: &str,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[(String, String)],
) -> Result<Exchange, FormProblem> {
    let clock = state.clock.clone();
    let client = Client::new(&state.self_url, Credentials::new("", link_id, secret))
        .map_err(|_| problem("secret_key", "console.err.secret_b64"))?
        .with_time_source(Arc::new(move || clock.now()));
    let extra: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = client.sign_request(method, path, body, &extra);
    let date = request
        .headers
        .iter()
        .find(|(n, _)| n == auth::DATE_HEADER)
        .map_or("", |(_, v)| v.as_str());
    let string_to_sign = auth::string_to_sign(method, path, date, body);
    let response = client
        .send_signed(&request)
        .await
        .map_err(|e| e.to_string());
    Ok(Exchange {
        request,
        string_to_sign,
        response,
    })
}

impl Exchange {
    /// The request as text: request line, headers, blank line, body exactly as sent.
    pub fn request_text(&self, host: &str) -> String {
        let r = &self.request;
        let mut s = format!("{} {} HTTP/1.1\nhost: {host}\n", r.method, r.path);
        for (n, v) in &r.headers {
            s.push_str(&format!("{n}: {v}\n"));
        }
        if !r.body.is_empty() {
            s.push_str(&format!("content-length: {}\n", r.body.len()));
        }
        s.push('\n');
        s.push_str(&String::from_utf8_lossy(&r.body));
        s
    }

    /// The answer as text: status line, headers, blank line, body (JSON pretty-printed).
    pub fn response_text(&self) -> String {
        match &self.response {
            Ok(r) => {
                let reason = axum::http::StatusCode::from_u16(r.status)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("");
                let mut s = format!("HTTP/1.1 {} {reason}\n", r.status);
                for (n, v) in &r.headers {
                    s.push_str(&format!("{n}: {v}\n"));
                }
                s.push('\n');
                s.push_str(&pretty(&r.body));
                s
            }
            Err(e) => e.clone(),
        }
    }

    /// The answer's JSON body, if it has one.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.response
            .as_ref()
            .ok()
            .and_then(|r| serde_json::from_slice(&r.body).ok())
    }

    /// Whether the API answered 2xx.
    pub fn ok(&self) -> bool {
        self.response
            .as_ref()
            .is_ok_and(|r| (200..300).contains(&r.status))
    }
}

fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_create_field_is_a_wire_field() {
        for field in CREATE_FIELDS {
            if field.name == "idempotencyKey" {
                continue;
            }
            let v = match field.input {
                Input::Number => "1",
                Input::YesNo => "true",
                Input::Json => "[]",
                _ => "x",
            };
            let kind = field.kinds[0];
            let built = build(kind, Call::Create, &form(&[(field.name, v)])).unwrap();
            let json: serde_json::Value = serde_json::from_slice(&built.body).unwrap();
            assert!(
                json.get(field.name).is_some(),
                "{} lost: {json}",
                field.name
            );
        }
    }

    #[test]
    fn bad_input_names_its_field() {
        let e = build(Kind::MultiSign, Call::Create, &form(&[("tokens", "[{")])).unwrap_err();
        assert_eq!(e.field, "tokens");
        assert!(e.detail.is_some());
        let e = build(Kind::Identity, Call::Create, &form(&[("expireIn", "soon")])).unwrap_err();
        assert_eq!(e.field, "expireIn");
        let e = build(Kind::Identity, Call::Status, &form(&[])).unwrap_err();
        assert_eq!(e.field, "receiptID");
        assert_eq!(
            credentials(&form(&[("link_id", "X")])).unwrap_err().field,
            "secret_key"
        );
    }

    #[test]
    fn paths_carry_the_receipt_and_wait() {
        let b = build(
            Kind::Sign,
            Call::Status,
            &form(&[("receiptID", "123"), ("wait", "30")]),
        )
        .unwrap();
        assert_eq!(b.path, "/v1/sign/123?wait=30");
        assert!(b.body.is_empty());
        let b = build(Kind::Login, Call::Verify, &form(&[("receiptID", "a b")])).unwrap();
        assert_eq!(b.path, "/v1/login/a%20b/verify");
    }
}
