//! The files the app serves besides its answers: the Tera templates (pages and mails) and the
//! static files. A release binary carries them (rust-embed), so it needs nothing beside it; a
//! debug build reads the source tree's `templates/` and `static/` from disk (rust-embed does so
//! outside release), so an edit shows without a rebuild. An operator may serve folders of their
//! own instead: `template_dir`, `static_dir`.
//!
//! Every template is named by its file's path without `.tera` (`login.html`,
//! `mail/text/new_device.txt`): the suffix gives the page its content type and says which ones
//! Tera escapes. The bare name (`base`, `mail/html/layout`) is kept as well, for `extends`,
//! `include` and `import`, as rocket_dyn_templates names files it finds on disk.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rocket::figment::value::magic::RelativePathBuf;
use rocket::figment::Figment;

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
struct EmbeddedTemplates;

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct EmbeddedStatic;

/// Where one kind of file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Inside the binary (release), or the source tree read from disk (debug).
    Embedded,
    /// An operator's own folder (`template_dir`, `static_dir`).
    Folder(PathBuf),
}

impl Source {
    /// The folder named by `key` in the configuration (relative to `Rocket.toml`'s folder, or to
    /// the working directory for a `ROCKET_…` variable), else the embedded files.
    pub fn configured(figment: &Figment, key: &str) -> Source {
        match figment.extract_inner::<RelativePathBuf>(key) {
            Ok(path) => Source::Folder(path.relative()),
            Err(_) => Source::Embedded,
        }
    }

    /// Every template as (its name with the type suffix, its text), pages and mails alike.
    pub fn templates(&self) -> Result<Vec<(String, String)>, String> {
        match self {
            Source::Embedded => EmbeddedTemplates::iter()
                .filter_map(|file| {
                    let name = file.strip_suffix(".tera")?.to_owned();
                    let data = EmbeddedTemplates::get(&file)?.data;
                    Some(utf8(&file, data.into_owned()).map(|text| (name, text)))
                })
                .collect(),
            Source::Folder(root) => {
                let mut found = Vec::new();
                read_templates(root, root, &mut found)?;
                Ok(found)
            }
        }
    }

    /// The bytes of the static file at `path` (relative, `/`-separated), when there is one.
    /// Embedded only: a folder is served by Rocket's `FileServer`.
    pub fn static_file(path: &str) -> Option<Cow<'static, [u8]>> {
        EmbeddedStatic::get(path).map(|file| file.data)
    }
}

/// The templates' source, in managed state: the mails are rendered from the same one.
pub struct TemplateSource(pub Source);

/// The name a template is found by in `extends`, `include` and `import`: without its type
/// (`base.html` → `base`).
pub fn bare_name(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((bare, suffix)) if !suffix.contains('/') => bare,
        _ => name,
    }
}

fn utf8(file: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|_| format!("the template {file} is not UTF-8"))
}

fn read_templates(
    root: &Path,
    dir: &Path,
    found: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the templates in {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_templates(root, &path, found)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if let Some(name) = relative.strip_suffix(".tera") {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read the template {}: {e}", path.display()))?;
            found.push((name.to_owned(), utf8(&relative, bytes)?));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_found_by_its_name_without_the_type() {
        assert_eq!(bare_name("base.html"), "base");
        assert_eq!(
            bare_name("mail/text/new_device.txt"),
            "mail/text/new_device"
        );
        assert_eq!(bare_name("mail/html/layout"), "mail/html/layout");
    }

    #[test]
    fn the_embedded_templates_are_the_source_trees() {
        let names: Vec<String> = Source::Embedded
            .templates()
            .expect("the embedded templates")
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert!(names.iter().any(|n| n == "login.html"), "{names:?}");
        assert!(
            names.iter().any(|n| n == "mail/html/layout.html"),
            "{names:?}"
        );
        assert!(Source::static_file("app.css").is_some());
        assert!(Source::static_file("../Cargo.toml").is_none());
    }
}
