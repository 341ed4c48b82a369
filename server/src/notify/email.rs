//! Email channels: one SMTP connection per message (lettre), STARTTLS or TLS checked against
//! the public roots, or a plain connection to a relay on this machine. The `Message-ID` is
//! built from the delivery's id, the same on every attempt, so a mailbox can drop a repeat.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use shared::api::{EmailSettings, SmtpSecurity};

use super::messages::Mail;

/// Why a message was not sent, and whether trying again can help (a 4xx reply, a timeout or
/// an unreachable server can; a 5xx reply or an address the server refuses cannot).
#[derive(Debug)]
pub struct Failure {
    pub permanent: bool,
    pub message: String,
}

/// An address as SMTP takes it: `name@example.com` or `Name <name@example.com>`.
pub fn mailbox(address: &str) -> Result<Mailbox, String> {
    address
        .parse::<Mailbox>()
        .map_err(|e| format!("'{address}' is not an email address ({e})"))
}

/// Sends `mail`; the server's reply ("250 …") when it took it.
pub fn send(
    settings: &EmailSettings,
    password: Option<&str>,
    mail: &Mail,
    delivery_id: &str,
    timeout: Duration,
) -> Result<String, Failure> {
    let permanent = |message: String| Failure {
        permanent: true,
        message,
    };
    let mut message = Message::builder()
        .from(mailbox(&settings.from).map_err(permanent)?)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{delivery_id}@seltzer>")));
    for to in &settings.to {
        message = message.to(mailbox(to).map_err(permanent)?);
    }
    let message = message
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
    let transport = match settings.security {
        SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&settings.host),
        SmtpSecurity::Tls => SmtpTransport::relay(&settings.host),
        SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(settings.host.as_str())),
    }
    .map_err(|e| permanent(format!("host: {e}")))?;
    let mut transport = transport.port(settings.port).timeout(Some(timeout));
    if let (Some(user), Some(password)) = (settings.username.as_deref(), password) {
        transport = transport.credentials(Credentials::new(user.to_owned(), password.to_owned()));
    }
    let reply = transport.build().send(&message).map_err(|e| Failure {
        permanent: e.is_permanent(),
        message: if e.is_timeout() {
            "timed out after 10 s".to_owned()
        } else {
            format!("SMTP: {e}")
        },
    })?;
    Ok(format!(
        "{} {}",
        reply.code(),
        reply.first_line().unwrap_or_default()
    ))
}
