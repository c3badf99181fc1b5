//! The mail templates: `templates/mail/text/<name>.txt.tera` (the plain-text part) and
//! `templates/mail/html/<name>.html.tera` (the HTML part, escaped like the pages), in a Tera of
//! their own, since the core renders them outside any request. They are named as the pages'
//! engine names them (`assets`: `mail/html/layout.html`, and `mail/html/layout` for `extends`).

use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use serde::Serialize;

use crate::assets::{bare_name, Source};
use crate::mail::{Mail, MailKind};

pub struct MailTemplates {
    tera: tera::Tera,
}

impl MailTemplates {
    /// Loads every mail template; a missing one stops the launch rather than a mail later.
    pub fn load(source: &Source) -> Result<MailTemplates, String> {
        let mut named = Vec::new();
        for (name, text) in source.templates()? {
            if !name.starts_with("mail/") {
                continue;
            }
            named.push((bare_name(&name).to_owned(), text.clone()));
            named.push((name, text));
        }
        let mut tera = tera::Tera::default();
        // Escapes by the name's type: the HTML parts, not the text ones.
        tera.autoescape_on(vec![".html"]);
        tera.add_raw_templates(named)
            .map_err(|e| format!("cannot load the mail templates: {}", chain(&e)))?;
        for kind in MailKind::ALL {
            for name in [text_template(kind), html_template(kind)] {
                if !tera.get_template_names().any(|n| n == name) {
                    return Err(format!("the mail template {name}.tera is missing"));
                }
            }
        }
        Ok(MailTemplates { tera })
    }

    /// The message: `From`, `To`, `Subject`, and a text and an HTML alternative.
    pub fn message(
        &self,
        from: &Mailbox,
        mail: &Mail,
        context: &impl Serialize,
    ) -> Result<Message, String> {
        let context = tera::Context::from_serialize(context).map_err(|e| chain(&e))?;
        let render = |name: String| {
            self.tera
                .render(&name, &context)
                .map_err(|e| format!("{name}: {}", chain(&e)))
        };
        let text = render(text_template(mail.kind))?;
        let html = render(html_template(mail.kind))?;
        let address = mail
            .to
            .parse()
            .map_err(|e| format!("to {:?}: {e}", mail.to))?;
        let name = Some(mail.name.clone()).filter(|n| !n.is_empty());
        // Under the sender's domain, not this machine's name.
        let message_id = format!("<{}@{}>", crate::clock::new_id(), from.email.domain());
        Message::builder()
            .message_id(Some(message_id))
            .from(from.clone())
            .to(Mailbox::new(name, address))
            .subject(mail.kind.subject())
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())
    }
}

fn text_template(kind: MailKind) -> String {
    format!("mail/text/{}.txt", kind.name())
}

fn html_template(kind: MailKind) -> String {
    format!("mail/html/{}.html", kind.name())
}

/// Tera puts the useful part of an error in its sources.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
