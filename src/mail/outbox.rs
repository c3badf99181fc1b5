//! The outbox: each mail as an `.eml` file (what an SMTP server would have received), for
//! development without a mail server. Open one with any mail client to preview it.

use std::path::PathBuf;

use lettre::Message;
use rocket::tokio::fs;

pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }

    /// Writes the message as `<UTC time to the microsecond>-<kind>-<random>.eml`, so names sort
    /// by time; written under a temporary name and renamed, so a reader never sees half a mail.
    /// The directory is made readable by its owner only: the mails hold live links.
    pub async fn write(&self, message: &Message, kind: &str) -> Result<PathBuf, String> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder
            .create(&self.dir)
            .await
            .map_err(|e| format!("cannot create the outbox {}: {e}", self.dir.display()))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let random = &crate::clock::new_id()[..8];
        let name = format!("{stamp}-{kind}-{random}.eml");
        let path = self.dir.join(&name);
        let partial = self.dir.join(format!(".{name}.partial"));
        let written = async {
            fs::write(&partial, message.formatted()).await?;
            fs::rename(&partial, &path).await
        };
        written
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}
