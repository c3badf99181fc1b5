//! `/static/…`: the stylesheet, icons and scripts. Embedded files are answered by a route of
//! their own, as Rocket's `FileServer` answers a folder (which serves an operator's
//! `static_dir`): the content type from the extension, a folder's `index.html`, no dotfile, no
//! way out of the folder, no caching headers (and, as for every `/static/` answer, the security
//! headers add no `Cache-Control` either).

use std::borrow::Cow;
use std::path::PathBuf;

use rocket::fs::FileServer;
use rocket::http::uri::fmt::Path;
use rocket::http::uri::Segments;
use rocket::http::ContentType;
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{get, routes, Route};

use crate::assets::Source;

/// The routes under `/static` for `source`.
pub fn routes(source: Source) -> Vec<Route> {
    match source {
        Source::Embedded => routes![embedded],
        Source::Folder(dir) => FileServer::from(dir).into(),
    }
}

/// A file's bytes and, when its extension names one, its content type.
pub struct StaticFile {
    content_type: Option<ContentType>,
    bytes: Cow<'static, [u8]>,
}

impl StaticFile {
    /// The embedded file at `path`, or the `index.html` of the folder it names.
    fn find(path: PathBuf) -> Option<StaticFile> {
        let index = path.join("index.html");
        [path, index].into_iter().find_map(|path| {
            let bytes = Source::static_file(path.to_str()?)?;
            let content_type = path
                .extension()
                .and_then(|ext| ContentType::from_extension(ext.to_str()?));
            Some(StaticFile {
                content_type,
                bytes,
            })
        })
    }
}

impl<'r> Responder<'r, 'static> for StaticFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        if let Some(content_type) = self.content_type {
            response.header(content_type);
        }
        // Embedded bytes are borrowed from the binary: nothing copied per request.
        response
            .sized_body(None, std::io::Cursor::new(self.bytes))
            .ok()
    }
}

/// Rank 10, as `FileServer`'s: any other route under `/static` goes first.
#[get("/<path..>", rank = 10)]
fn embedded(path: Segments<'_, Path>) -> Option<StaticFile> {
    // Refuses `..` and dotfiles, as `FileServer` does (then 404).
    StaticFile::find(path.to_path_buf(false).ok()?)
}
