//! `GET /api/docs`: the API reference as a page, rendered by the app from the OpenAPI document
//! (`openapi.rs`), so it cannot say anything the document does not. A Tera page like the others:
//! no script, no CDN, and the page CSP rather than the API's sandbox.

use rocket::http::Header;
use rocket::{get, routes, Responder, Route};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::Value;
use utoipa::OpenApi;

use crate::api::openapi::DOCUMENT;
use crate::web::layout::Layout;
use crate::web::security_headers::PAGE_CSP;

pub fn routes() -> Vec<Route> {
    routes![docs]
}

/// This route in the document.
#[derive(OpenApi)]
#[openapi(paths(docs))]
pub struct Doc;

#[derive(Responder)]
struct Page {
    template: Template,
    /// The API's CSP forbids the stylesheet; this page gets the pages' one (no inline anything).
    csp: Header<'static>,
}

/// The API reference: every operation, its parameters, bodies, answers and refusals.
#[utoipa::path(tag = "docs", security(()), responses((status = 200,
    description = "The reference page", body = String, content_type = "text/html")))]
#[get("/docs")]
fn docs(layout: Layout) -> Page {
    let document = serde_json::to_value(&*DOCUMENT).unwrap_or_default();
    Page {
        template: layout.render("api_docs", None, Reference::new(&document)),
        csp: Header::new("Content-Security-Policy", PAGE_CSP),
    }
}

/// Text where `backticks` become code: a list of pieces, so the template escapes every one.
#[derive(Serialize, PartialEq, Debug)]
struct Piece {
    text: String,
    code: bool,
}

fn pieces(text: &str) -> Vec<Piece> {
    text.split('`')
        .enumerate()
        .filter(|(_, text)| !text.is_empty())
        .map(|(i, text)| Piece {
            text: text.to_owned(),
            code: i % 2 == 1,
        })
        .collect()
}

/// Paragraphs, split at blank lines.
fn paragraphs(text: Option<&Value>) -> Vec<Vec<Piece>> {
    let text = text.and_then(Value::as_str).unwrap_or_default();
    text.split("\n\n")
        .map(|p| pieces(&p.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|p| !p.is_empty())
        .collect()
}

#[derive(Serialize)]
struct Reference {
    title: String,
    version: String,
    description: Vec<Vec<Piece>>,
    schemes: Vec<Field>,
    tags: Vec<TagView>,
    schemas: Vec<SchemaView>,
}

#[derive(Serialize)]
struct TagView {
    name: String,
    description: Vec<Vec<Piece>>,
    operations: Vec<Operation>,
}

#[derive(Serialize)]
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: Vec<Piece>,
    description: Vec<Vec<Piece>>,
    /// Alternatives, each a list of schemes presented together; an empty one means "none".
    security: Vec<Vec<String>>,
    parameters: Vec<Field>,
    body: Option<Answer>,
    responses: Vec<Answer>,
}

/// A request body or an answer.
#[derive(Serialize)]
struct Answer {
    status: String,
    description: Vec<Vec<Piece>>,
    media_type: Option<String>,
    kind: Option<Kind>,
    headers: Vec<Field>,
    examples: Vec<Example>,
}

#[derive(Serialize)]
struct Example {
    name: String,
    json: String,
}

/// A parameter, a property, a header or a security scheme.
#[derive(Serialize)]
struct Field {
    name: String,
    kind: Kind,
    required: bool,
    description: Vec<Vec<Piece>>,
}

/// A type as a reader wants it: `string (date-time)`, `array of Session`, with a link to the schema.
#[derive(Serialize)]
struct Kind {
    text: String,
    link: Option<String>,
}

#[derive(Serialize)]
struct SchemaView {
    name: String,
    description: Vec<Vec<Piece>>,
    kind: Kind,
    fields: Vec<Field>,
    example: Option<String>,
}

impl Reference {
    fn new(doc: &Value) -> Reference {
        let info = &doc["info"];
        let mut tags: Vec<TagView> = doc["tags"]
            .items()
            .map(|tag| TagView {
                name: text(&tag["name"]).to_owned(),
                description: paragraphs(tag.get("description")),
                operations: Vec::new(),
            })
            .collect();
        for (path, item) in doc["paths"].entries() {
            for (method, op) in item.entries() {
                let tag = op["tags"][0].as_str().unwrap_or("other");
                let index = match tags.iter().position(|t| t.name == tag) {
                    Some(index) => index,
                    None => {
                        tags.push(TagView {
                            name: tag.to_owned(),
                            description: Vec::new(),
                            operations: Vec::new(),
                        });
                        tags.len() - 1
                    }
                };
                tags[index]
                    .operations
                    .push(Operation::new(path, method, op));
            }
        }
        tags.retain(|t| !t.operations.is_empty());
        let components = &doc["components"];
        let schemes = components["securitySchemes"]
            .entries()
            .map(|(name, scheme)| {
                Field::new(
                    name.clone(),
                    Kind::plain(scheme_kind(scheme)),
                    false,
                    scheme,
                )
            })
            .collect();
        let schemas = components["schemas"]
            .entries()
            .map(|(name, schema)| SchemaView {
                name: name.clone(),
                description: paragraphs(schema.get("description")),
                kind: Kind::of(schema),
                fields: properties(schema, doc),
                example: schema.get("example").map(pretty),
            })
            .collect();
        Reference {
            title: text(&info["title"]).to_owned(),
            version: text(&info["version"]).to_owned(),
            description: paragraphs(info.get("description")),
            schemes,
            tags,
            schemas,
        }
    }
}

impl Operation {
    fn new(path: &str, method: &str, op: &Value) -> Operation {
        let id = op["operationId"].as_str().unwrap_or(method);
        let security = op["security"]
            .items()
            .map(|alt| alt.entries().map(|(scheme, _)| scheme.clone()).collect())
            .collect();
        let parameters = op["parameters"]
            .items()
            .map(|p| {
                let name = format!("{} ({})", text(&p["name"]), text(&p["in"]));
                let required = p["required"].as_bool().unwrap_or(false);
                Field::new(name, Kind::of(&p["schema"]), required, p)
            })
            .collect();
        let body = op.get("requestBody").map(|b| Answer::new("body", b));
        let responses = op["responses"]
            .entries()
            .map(|(status, r)| Answer::new(status, r))
            .collect();
        Operation {
            anchor: format!("op-{id}"),
            method: method.to_uppercase(),
            path: path.to_owned(),
            summary: pieces(op["summary"].as_str().unwrap_or(id)),
            description: paragraphs(op.get("description")),
            security,
            parameters,
            body,
            responses,
        }
    }
}

impl Answer {
    fn new(status: &str, answer: &Value) -> Answer {
        let content = answer["content"].as_object().and_then(|c| c.iter().next());
        let mut examples: Vec<Example> = Vec::new();
        if let Some((_, media)) = content {
            if let Some(example) = media.get("example") {
                examples.push(Example {
                    name: String::new(),
                    json: pretty(example),
                });
            }
            for (name, example) in media["examples"].entries() {
                examples.push(Example {
                    name: name.clone(),
                    json: pretty(&example["value"]),
                });
            }
        }
        let headers = answer["headers"]
            .entries()
            .map(|(name, h)| Field::new(name.clone(), Kind::of(&h["schema"]), false, h))
            .collect();
        Answer {
            status: status.to_owned(),
            description: paragraphs(answer.get("description")),
            media_type: content.map(|(media_type, _)| media_type.clone()),
            kind: content.map(|(_, media)| Kind::of(&media["schema"])),
            headers,
            examples,
        }
    }
}

impl Field {
    /// `described`: the part of the document whose `description` this is.
    fn new(name: String, kind: Kind, required: bool, described: &Value) -> Field {
        let description = paragraphs(described.get("description"));
        Field {
            name,
            kind,
            required,
            description,
        }
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

impl Kind {
    fn plain(text: String) -> Kind {
        Kind { text, link: None }
    }

    fn of(schema: &Value) -> Kind {
        if let Some(name) = ref_name(schema) {
            return Kind {
                text: name.to_owned(),
                link: Some(format!("#schema-{name}")),
            };
        }
        for combinator in ["allOf", "oneOf", "anyOf"] {
            if let Some(items) = schema[combinator].as_array() {
                let kinds: Vec<Kind> = items.iter().map(Kind::of).collect();
                let link = kinds.iter().find_map(|k| k.link.clone());
                let texts: Vec<&str> = kinds
                    .iter()
                    .map(|k| k.text.as_str())
                    .filter(|t| !t.is_empty() && *t != "object")
                    .collect();
                let glue = if combinator == "allOf" { " + " } else { " or " };
                return Kind {
                    text: texts.join(glue),
                    link,
                };
            }
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut text = match types.first() {
            Some(&"array") => {
                let item = Kind::of(&schema["items"]);
                return Kind {
                    text: format!("array of {}", item.text),
                    link: item.link,
                };
            }
            Some(t) => (*t).to_owned(),
            None => "any".to_owned(),
        };
        if let Some(format) = schema["format"].as_str() {
            text = format!("{text} ({format})");
        }
        if let Some(values) = schema["enum"].as_array() {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            text = format!("{text}: one of {}", values.join(", "));
        }
        if types.contains(&"null") {
            text.push_str(" or null");
        }
        Kind::plain(text)
    }
}

/// Reading the document: a part that is missing or of another type is empty, never a panic.
trait Parts {
    fn entries(&self) -> impl Iterator<Item = (&String, &Value)>;
    fn items(&self) -> impl Iterator<Item = &Value>;
}

impl Parts for Value {
    fn entries(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.as_object().into_iter().flatten()
    }

    fn items(&self) -> impl Iterator<Item = &Value> {
        self.as_array().into_iter().flatten()
    }
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// The properties of an object schema, those of `allOf` parts (a flattened struct) included.
fn properties(schema: &Value, doc: &Value) -> Vec<Field> {
    if let Some(name) = ref_name(schema) {
        return properties(&doc["components"]["schemas"][name], doc);
    }
    let mut fields: Vec<Field> = schema["allOf"]
        .items()
        .flat_map(|part| properties(part, doc))
        .collect();
    let required: Vec<&str> = schema["required"]
        .items()
        .filter_map(Value::as_str)
        .collect();
    for (name, property) in schema["properties"].entries() {
        let required = required.contains(&name.as_str());
        fields.push(Field::new(
            name.clone(),
            Kind::of(property),
            required,
            property,
        ));
    }
    fields
}

fn scheme_kind(scheme: &Value) -> String {
    match (scheme["type"].as_str(), scheme["in"].as_str()) {
        (Some("http"), _) => format!(
            "Authorization: {} token",
            scheme["scheme"].as_str().unwrap_or("Bearer")
        ),
        (Some("apiKey"), Some(place)) => {
            format!("{place} {}", scheme["name"].as_str().unwrap_or_default())
        }
        _ => scheme["type"].as_str().unwrap_or_default().to_owned(),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_pieces() {
        let p = pieces("use `Bearer` here");
        assert_eq!(p.len(), 3);
        assert!(p[1].code && p[1].text == "Bearer");
        assert!(!p[0].code && !p[2].code);
    }

    #[test]
    fn the_reference_has_every_operation_of_the_document() {
        let doc = serde_json::to_value(&*DOCUMENT).unwrap();
        let reference = Reference::new(&doc);
        let operations: usize = reference.tags.iter().map(|t| t.operations.len()).sum();
        let in_doc: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|i| i.as_object().unwrap().len())
            .sum();
        assert_eq!(operations, in_doc);
        assert!(reference.schemas.iter().any(|s| s.name == "ErrorBody"));
    }
}
