//! The README's "Follow one request" walks a refresh through the code; it must name only what is
//! there. Every backticked `path.rs` in that section is a file under `src/`, every backticked
//! `name()` or `Type::name()` a `fn name` somewhere under `src/` (and `Type` a type there).
//! A rename that leaves the walk behind fails here, not in a newcomer's editor.

use std::fs;
use std::path::{Path, PathBuf};

const HEADING: &str = "## Follow one request";

/// The section from its heading to the next `## ` heading.
fn section(readme: &str) -> &str {
    let start = readme
        .find(&format!("\n{HEADING}"))
        .unwrap_or_else(|| panic!("README.md has no heading starting with {HEADING:?}"))
        + 1;
    let rest = &readme[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    &rest[..end]
}

/// The text of every inline code span (the section has no fenced blocks).
fn code_spans(text: &str) -> Vec<&str> {
    assert!(!text.contains("```"), "keep code blocks out of {HEADING:?}");
    text.split('`').skip(1).step_by(2).collect()
}

fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Whether `keyword name` occurs in `code` as a whole word, e.g. `fn rotate_session(` or
/// `fn verify<`, not `fn rotate_session_twice`.
fn declares(code: &str, keyword: &str, name: &str) -> bool {
    let needle = format!("{keyword} {name}");
    code.match_indices(&needle).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn follow_one_request_names_only_files_and_functions_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let code: String = files
        .iter()
        .map(|f| fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n");

    let (mut paths, mut functions, mut missing) = (0, 0, Vec::new());
    for span in code_spans(section(&readme)) {
        let span = span.trim();
        if let Some(name) = span.strip_suffix("()") {
            let mut parts: Vec<&str> = name.split("::").collect();
            let function = parts.pop().unwrap_or_default();
            if !is_identifier(function) || !parts.iter().all(|p| is_identifier(p)) {
                continue;
            }
            functions += 1;
            if !declares(&code, "fn", function) {
                missing.push(format!("`{span}`: no `fn {function}` under src/"));
            }
            if let Some(&owner) = parts.last() {
                let is_type = ["struct", "enum", "trait", "type"]
                    .iter()
                    .any(|keyword| declares(&code, keyword, owner));
                // `auth::sessions::rotate_session()` names a module, not a type: a file then.
                let is_module = files.iter().any(|f| {
                    f.file_stem().and_then(|s| s.to_str()) == Some(owner)
                        || f.ends_with(format!("{owner}/mod.rs"))
                });
                if !is_type && !is_module {
                    missing.push(format!("`{span}`: no type or module `{owner}` under src/"));
                }
            }
        } else if span.ends_with(".rs")
            && span
                .chars()
                .all(|c| c.is_alphanumeric() || "_/.".contains(c))
        {
            paths += 1;
            let relative = span.strip_prefix("src/").unwrap_or(span);
            if !src.join(relative).is_file() {
                missing.push(format!("`{span}`: no file src/{relative}"));
            }
        }
    }
    assert!(
        paths >= 5 && functions >= 5,
        "{HEADING:?} names {paths} files and {functions} functions: is the section still there?"
    );
    assert!(
        missing.is_empty(),
        "README.md, {HEADING:?} names what the code does not have:\n{}",
        missing.join("\n")
    );
}
