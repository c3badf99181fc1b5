//! The list of pages the browser suite checks for accessibility (`tests/browser/pages.json`)
//! names every page the app serves: a GET route mounted outside `/api`, `/static` and
//! `/.well-known`, or a page template, cannot be added without an entry there (axe then runs on
//! it), and an entry cannot outlive its route.

use std::collections::BTreeSet;

use serde_json::Value;

const PAGE_LIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/pages.json");
const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");

fn page_list() -> Value {
    let text = std::fs::read_to_string(PAGE_LIST).expect("tests/browser/pages.json");
    serde_json::from_str(&text).expect("tests/browser/pages.json is JSON")
}

/// The `route` of each entry of `list` (`pages` or `not_pages`) that has one.
fn listed_routes(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .expect("a list of entries")
        .iter()
        .filter_map(|entry| entry["route"].as_str())
        .map(str::to_owned)
        .collect()
}

/// Every mounted GET route by its path, without the query (`/login?<next>` is `/login`).
fn mounted_get_routes() -> BTreeSet<String> {
    rocket_auth_template::rocket()
        .routes()
        .filter(|r| r.method == rocket::http::Method::Get)
        .map(|r| r.uri.path().to_owned())
        .collect()
}

fn is_page_route(path: &str) -> bool {
    !["/api", "/static", "/.well-known"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

#[test]
fn every_mounted_page_route_is_in_the_accessibility_page_list() {
    let list = page_list();
    let known: BTreeSet<String> = listed_routes(&list["pages"])
        .union(&listed_routes(&list["not_pages"]))
        .cloned()
        .collect();
    let missing: Vec<String> = mounted_get_routes()
        .into_iter()
        .filter(|path| is_page_route(path) && !known.contains(path))
        .collect();
    assert!(
        missing.is_empty(),
        "GET routes missing from tests/browser/pages.json (add each to `pages`, checked by \
         tests/browser/accessibility.test.mjs, or to `not_pages` with why it renders no page): \
         {missing:?}"
    );
}

#[test]
fn every_route_in_the_accessibility_page_list_is_mounted() {
    let list = page_list();
    let mounted = mounted_get_routes();
    let stale: Vec<String> = listed_routes(&list["pages"])
        .union(&listed_routes(&list["not_pages"]))
        .filter(|route| !mounted.contains(*route))
        .cloned()
        .collect();
    assert!(
        stale.is_empty(),
        "tests/browser/pages.json names routes the app does not mount: {stale:?}"
    );
}

/// A page rendered only as a form's answer (the recovery codes) has no GET route of its own:
/// its template is what says it exists.
#[test]
fn every_page_template_is_in_the_accessibility_page_list() {
    let list = page_list();
    let named: BTreeSet<&str> = list["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .filter_map(|entry| entry["template"].as_str())
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(TEMPLATES).expect("templates/") {
        let path = entry.expect("a directory entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".html.tera"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("a template");
        // A page extends the layout; `base` itself and macro files (`icons`) are not pages.
        if text.contains("{% extends \"base\" %}") && !named.contains(name) {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "page templates no entry of tests/browser/pages.json names: {missing:?}"
    );
}
