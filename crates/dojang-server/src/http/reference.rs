//! The API reference page (`GET /docs/api`): the OpenAPI document rendered on the server as one
//! self-contained HTML page — no script, no stylesheet or font from elsewhere, no build step —
//! listing every operation with its method, path, summary, parameters, request and response
//! schemas and error codes, then every schema and the whole error catalogue.

use std::fmt::Write as _;

use dojang_proto::ErrorCode;
use serde_json::Value;

use super::error::status;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Apple SD Gothic Neo','Malgun Gothic',sans-serif;\
max-width:64rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.5;color:#1b1b1b}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\
pre{background:#f4f4f4;padding:.6rem;overflow-x:auto}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f4f4}\
.op{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}\
.method{display:inline-block;min-width:3.5rem;font-weight:bold;color:#fff;border-radius:4px;\
text-align:center;padding:0 .3rem;margin-right:.5rem}\
.get{background:#2f6fb3}.post{background:#3a8a3a}\
nav ul{columns:2}";

/// The page's Content-Security-Policy: every page's, with its one inline stylesheet allowed by
/// its SHA-256 (no `'unsafe-inline'`); the page headers middleware adds the rest.
pub fn content_security_policy() -> String {
    use base64::Engine as _;
    let hash = ring::digest::digest(&ring::digest::SHA256, STYLE.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(hash.as_ref());
    format!(
        "default-src 'self'; script-src 'self'; style-src 'sha256-{hash}'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Render the page.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    let title = text(at(v, "/info/title"));
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} — API reference</title>\
         <link rel=\"icon\" href=\"{icon}/icon.svg\" type=\"image/svg+xml\"><style>{STYLE}</style></head><body>\n\
         <h1>{t} <small>{ver}</small></h1>\n\
         <p>OpenAPI {oa} document: <a href=\"/v1/openapi.json\"><code>/v1/openapi.json</code></a>.</p>\n",
        t = esc(&title),
        ver = esc(&text(at(v, "/info/version"))),
        oa = esc(&text(at(v, "/openapi"))),
        icon = crate::pages::assets::PREFIX,
    );
    out.push_str(&markdown(&text(at(v, "/info/description"))));

    let ops = operations(v);
    // Contents, grouped by tag.
    out.push_str("<h2 id=\"operations\">Operations</h2>\n<nav>");
    for tag in at(v, "/tags").as_array().into_iter().flatten() {
        let name = text(at(tag, "/name"));
        let _ = write!(
            out,
            "<h3>{} <small>{}</small></h3><ul>",
            esc(&name),
            esc(&text(at(tag, "/description")))
        );
        for (method, path, op) in ops.iter().filter(|(_, _, op)| has_tag(op, &name)) {
            let _ = write!(
                out,
                "<li><a href=\"#{id}\"><code>{m} {p}</code></a> — {s}</li>",
                id = esc(&text(at(op, "/operationId"))),
                m = method.to_ascii_uppercase(),
                p = esc(path),
                s = esc(&text(at(op, "/summary"))),
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</nav>\n");

    for (method, path, op) in &ops {
        operation(&mut out, method, path, op, true);
    }

    if let Some(hooks) = at(v, "/webhooks").as_object().filter(|h| !h.is_empty()) {
        out.push_str(
            "<h2 id=\"webhooks\">Webhooks</h2>\n<p>What dojang sends to your callback URL \
             (registered by the operator with <code>dojang admin rp webhook set</code>).</p>\n",
        );
        for (name, item) in hooks {
            for (method, op) in item.as_object().into_iter().flatten() {
                if op.is_object() {
                    operation(
                        &mut out,
                        method,
                        &format!("{{your callback URL}} ({name})"),
                        op,
                        false,
                    );
                }
            }
        }
    }

    out.push_str("<h2 id=\"schemas\">Schemas</h2>\n");
    if let Some(schemas) = at(v, "/components/schemas").as_object() {
        for (name, schema) in schemas {
            let _ = writeln!(out, "<h3 id=\"schema-{n}\">{n}</h3>", n = esc(name));
            schema_block(&mut out, schema);
        }
    }

    out.push_str(
        "<h2 id=\"errors\">Error codes</h2>\n<p>The body of every error answer is an \
         <a href=\"#schema-ErrorBody\">ErrorBody</a>; the message is Korean when \
         <code>Accept-Language</code> starts with <code>ko</code>.</p>\n\
         <table><tr><th>code</th><th>HTTP</th><th>name</th><th>message (en)</th>\
         <th>message (ko)</th></tr>\n",
    );
    for &c in ErrorCode::ALL {
        let _ = writeln!(
            out,
            "<tr id=\"code{n}\"><td><code>{n}</code></td><td>{s}</td><td><code>{name}</code></td>\
             <td>{en}</td><td>{ko}</td></tr>",
            n = c.code(),
            s = status(c).as_u16(),
            name = c.name(),
            en = esc(c.message_en()),
            ko = esc(c.message_ko()),
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

fn operations(v: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in at(v, "/paths").as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if op.is_object() {
                ops.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    ops
}

fn has_tag(op: &Value, tag: &str) -> bool {
    at(op, "/tags")
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x.as_str() == Some(tag)))
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value, authenticated: bool) {
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{id}\"><h3><span class=\"method {m}\">{M}</span>\
         <code>{p}</code></h3>\n<p><b>{s}</b></p>\n",
        id = esc(&text(at(op, "/operationId"))),
        m = esc(method),
        M = esc(&method.to_ascii_uppercase()),
        p = esc(path),
        s = esc(&text(at(op, "/summary"))),
    );
    out.push_str(&markdown(&text(at(op, "/description"))));
    if authenticated {
        out.push_str(
            "<p>Authentication: <code>Authorization: DOJANG-HMAC-SHA256 &lt;LinkID&gt;:&lt;signature&gt;</code> \
             and <code>X-Dojang-Date</code> (see the top of this page).</p>\n",
        );
    }
    if let Some(params) = at(op, "/parameters").as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th>\
             <th>schema</th><th>description</th></tr>\n",
        );
        for p in params {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&text(at(p, "/name"))),
                esc(&text(at(p, "/in"))),
                if at(p, "/required").as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                type_summary(at(p, "/schema")),
                inline(&text(at(p, "/description"))),
            );
        }
        out.push_str("</table>\n");
    }
    let body = at(op, "/requestBody");
    if body.is_object() {
        let _ = write!(
            out,
            "<h4>Request body{}</h4><p>{}</p>",
            if at(body, "/required").as_bool() == Some(true) {
                ""
            } else {
                " (optional)"
            },
            inline(&text(at(body, "/description"))),
        );
        for (media, content) in at(body, "/content").as_object().into_iter().flatten() {
            let _ = writeln!(
                out,
                "<p><code>{}</code>: {}</p>",
                esc(media),
                type_summary(at(content, "/schema"))
            );
            if let Some(example) = content.get("example") {
                let pretty = serde_json::to_string_pretty(example).unwrap_or_default();
                let _ = writeln!(out, "<p>Example:</p><pre>{}</pre>", esc(&pretty));
            }
        }
    }
    out.push_str(
        "<h4>Responses</h4><table><tr><th>status</th><th>body</th><th>description</th></tr>\n",
    );
    for (st, r) in at(op, "/responses").as_object().into_iter().flatten() {
        let schema = at(r, "/content")
            .as_object()
            .and_then(|c| c.values().next())
            .map(|c| type_summary(at(c, "/schema")))
            .unwrap_or_default();
        let mut desc = markdown(&text(at(r, "/description")));
        for (name, h) in at(r, "/headers").as_object().into_iter().flatten() {
            if name != "x-request-id" {
                let _ = write!(
                    desc,
                    "<p>Header <code>{}</code>: {}</p>",
                    esc(name),
                    inline(&text(at(h, "/description")))
                );
            }
        }
        let _ = writeln!(
            out,
            "<tr><td><b>{}</b></td><td>{}</td><td>{}</td></tr>",
            esc(st),
            schema,
            desc
        );
    }
    out.push_str("</table></section>\n");
}

fn schema_block(out: &mut String, schema: &Value) {
    out.push_str(&markdown(&text(at(schema, "/description"))));
    if let Some(values) = at(schema, "/enum").as_array() {
        let list: Vec<String> = values
            .iter()
            .map(|x| format!("<code>{}</code>", esc(&x.to_string())))
            .collect();
        let _ = writeln!(out, "<p>One of {}.</p>", list.join(", "));
        return;
    }
    let Some(props) = at(schema, "/properties").as_object() else {
        return;
    };
    let required: Vec<&str> = at(schema, "/required")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    out.push_str(
        "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>\n",
    );
    for (name, p) in props {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            type_summary(p),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            markdown(&text(at(p, "/description"))),
        );
    }
    out.push_str("</table>\n");
}

/// A one-line summary of a schema: its type or a link to the named schema, and its
/// constraints.
fn type_summary(s: &Value) -> String {
    if let Some(r) = at(s, "/$ref").as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{n}\">{n}</a>", n = esc(name));
    }
    // An error answer: the ErrorBody, narrowed to the codes the description lists.
    if let Some(list) = s.get("allOf").and_then(Value::as_array) {
        let parts: Vec<String> = list
            .iter()
            .filter(|x| x.get("$ref").is_some())
            .map(type_summary)
            .collect();
        return parts.join(", ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(type_summary).collect();
            return parts.join(" | ");
        }
    }
    let types: Vec<String> = match at(s, "/type") {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let shown: Vec<String> = types
        .iter()
        .map(|t| {
            if t == "array" {
                format!("array of {}", type_summary(at(s, "/items")))
            } else {
                esc(t)
            }
        })
        .collect();
    let mut parts = vec![shown.join(" | ")];
    for (key, label) in [
        ("format", "format"),
        ("pattern", "pattern"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("contentEncoding", "encoding"),
    ] {
        if let Some(x) = s.get(key).filter(|x| !x.is_null()) {
            let shown = x.as_str().map_or_else(|| x.to_string(), str::to_owned);
            parts.push(format!("{label} <code>{}</code>", esc(&shown)));
        }
    }
    if at(s, "/enum").is_array() && at(s, "/enum").as_array().is_some_and(|e| e.len() <= 8) {
        let e: Vec<String> = at(s, "/enum")
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| esc(&x.to_string()))
            .collect();
        parts.push(format!("one of <code>{}</code>", e.join(", ")));
    }
    parts.join(", ")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `code` and **bold**, on escaped text.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            let mut bold = false;
            for (j, b) in part.split("**").enumerate() {
                if j > 0 {
                    out.push_str(if bold { "</b>" } else { "<b>" });
                    bold = !bold;
                }
                out.push_str(b);
            }
            if bold {
                out.push_str("</b>");
            }
        }
    }
    out
}

/// The little Markdown the document's descriptions use: paragraphs, `* ` lists, fenced code.
fn markdown(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("```") {
            let after = after.split_once('\n').map_or("", |(_, b)| b);
            let (code, tail) = after.split_once("```").unwrap_or((after, ""));
            let _ = write!(out, "<pre>{}</pre>", esc(code.trim_end()));
            rest = tail.trim_start_matches('\n');
            continue;
        }
        // A block ends at a blank line or where a fence starts.
        let (end, skip) = match (rest.find("\n\n"), rest.find("```")) {
            (Some(p), Some(f)) if f < p => (f, 0),
            (Some(p), _) => (p, 2),
            (None, Some(f)) => (f, 0),
            (None, None) => (rest.len(), 0),
        };
        let (block, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
        let tail = tail.get(skip..).unwrap_or("");
        let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
        let (head, items): (Vec<&str>, Vec<&str>) =
            lines.iter().partition(|l| !l.starts_with("* "));
        if !head.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline(&head.join(" ")));
        }
        if !items.is_empty() {
            out.push_str("<ul>");
            for item in items {
                let _ = write!(out, "<li>{}</li>", inline(item.trim_start_matches("* ")));
            }
            out.push_str("</ul>");
        }
        rest = tail;
    }
    out
}

/// The value at a JSON pointer, or `null`.
fn at<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.pointer(pointer).unwrap_or(&NULL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_handles_paragraphs_lists_and_code() {
        let html = markdown("a `b` **c**\n\n```text\nx<y\n```\n\nlist:\n* one\n* two");
        assert_eq!(
            html,
            "<p>a <code>b</code> <b>c</b></p><pre>x&lt;y</pre><p>list:</p><ul><li>one</li><li>two</li></ul>"
        );
    }
}
