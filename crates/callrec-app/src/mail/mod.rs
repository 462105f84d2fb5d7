//! Mail: messages are queued in the database (`Store::queue_mail`) and a
//! sender on every node delivers them over SMTP with retries, so a request
//! never waits on a mail server and a restart loses nothing.

mod messages;

pub use messages::{reset_mail, Notice, NoticeKind};

use crate::audit::AuditContext;
use crate::{Clock, Error};
use callrec_domain::zone::Zone;
use callrec_domain::{CompanyId, Role};
use callrec_store::{NewMail, Store, StoreError, User};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Waiting messages beyond this many are refused (and logged): a flood of
/// reset requests must not grow the outbox without bound.
pub const QUEUE_LIMIT: i64 = 10_000;

/// How long a node holds a message it is sending before another may try.
const LEASE_SECONDS: i64 = 120;

/// Waits before attempts 2, 3, … (then the message is given up): about a
/// day of tries for a mail server that is down.
const RETRY_AFTER: [i64; 6] = [60, 300, 1800, 7200, 21_600, 43_200];

/// `CALLREC_SMTP_URL` and `CALLREC_MAIL_FROM`, checked at start.
#[derive(Clone)]
pub struct MailSettings {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Shown in errors and logs without the password.
    server: String,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailSettings {
    /// `smtp://[user:password@]host[:port]` (STARTTLS when the server
    /// offers it) or `smtps://…` (TLS from the start); `from` a mailbox
    /// such as `Call Recording <calls@example.com>`.
    pub fn parse(url: &str, from: &str) -> Result<MailSettings, String> {
        let parsed_from: Mailbox = from
            .parse()
            .map_err(|err| format!("CALLREC_MAIL_FROM {from:?} is not a mail address: {err}"))?;
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| "CALLREC_SMTP_URL must start with smtp:// or smtps://".to_string())?;
        let host = rest.rsplit('@').next().unwrap_or(rest);
        let server = format!("{scheme}://{host}");
        let url = match scheme {
            "smtps" => url.to_string(),
            "smtp" if url.contains("tls=") => url.to_string(),
            // STARTTLS when the server offers it.
            "smtp" => format!(
                "{url}{}tls=opportunistic",
                if url.contains('?') { "&" } else { "?" }
            ),
            _ => return Err("CALLREC_SMTP_URL must start with smtp:// or smtps://".into()),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|err| format!("CALLREC_SMTP_URL ({server}) is not usable: {err}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(MailSettings {
            transport,
            from: parsed_from,
            server,
        })
    }

    /// The server, without credentials.
    pub fn server(&self) -> &str {
        &self.server
    }
}

/// Queues `mail`; a full queue is logged, not an error for the request
/// that caused it.
/// Mails a notice about a change to `company` to its Company users who
/// hold any of `roles`, and to `also` (the one who made it) when they are
/// not among them; mail must be on (callers check).
pub async fn notify_holders(
    store: &Store,
    company: CompanyId,
    roles: &[Role],
    also: Option<&User>,
    kind: NoticeKind,
    audit: &AuditContext,
) -> Result<(), Error> {
    let mut told = store.company_users_holding(company, roles).await?;
    if let Some(user) = also.filter(|u| !told.iter().any(|t| t.id == u.id)) {
        told.push(user.clone());
    }
    for user in told {
        let Some(email) = &user.email else { continue };
        let notice = Notice {
            kind: kind.clone(),
            username: user.username.clone(),
            at: audit.now,
            zone: user.zone().unwrap_or_else(Zone::utc),
            client: audit.client.clone(),
        };
        queue(store, notice.mail(email)?, audit.now).await?;
    }
    Ok(())
}

pub async fn queue(store: &Store, mail: NewMail, now: i64) -> Result<(), Error> {
    match store.queue_mail(&mail, QUEUE_LIMIT, now).await {
        Ok(_) => Ok(()),
        Err(StoreError::Busy) => {
            tracing::error!(
                limit = QUEUE_LIMIT,
                "the mail outbox is full; a message was dropped"
            );
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
}

/// Sends every due message; returns how many were delivered. `clock`
/// gives the time of each claim, so a long round never claims with a
/// lease that has already run out (another node would send it too).
pub async fn send_due(
    store: &Store,
    settings: &MailSettings,
    clock: &Clock,
) -> Result<usize, Error> {
    let mut sent = 0;
    loop {
        let now = clock.now();
        let Some(queued) = store.claim_mail(now, LEASE_SECONDS).await? else {
            break;
        };
        match deliver(settings, &queued.mail).await {
            Ok(()) => {
                store.mail_sent(queued.id, clock.now()).await?;
                sent += 1;
            }
            Err(error) => {
                let retry_at = RETRY_AFTER
                    .get(queued.attempts as usize)
                    .map(|wait| now + wait);
                // The address is the user's: kept out of the log.
                tracing::warn!(id = queued.id, attempt = queued.attempts + 1, given_up = retry_at.is_none(), %error, "could not send a mail");
                store.mail_failed(queued.id, &error, retry_at, now).await?;
                if retry_at.is_some() {
                    // The server is likely down: the rest waits for the next round.
                    break;
                }
            }
        }
    }
    Ok(sent)
}

async fn deliver(settings: &MailSettings, mail: &NewMail) -> Result<(), String> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|err| format!("bad address: {err}"))?;
    let message = Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(&mail.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text_body.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html_body.clone()),
                ),
        )
        .map_err(|err| format!("message: {err}"))?;
    settings
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|err| format!("{} refused or unreachable: {err}", settings.server))
}
