use callrec_app::mail::MailSettings;
use callrec_app::mfa::MfaSettings;
use callrec_app::records::RecordsSettings;
use callrec_app::Argon2Settings;
use callrec_domain::country::Country;
use callrec_domain::network::TrustedProxies;
use callrec_domain::zone::Zone;
use callrec_domain::PasswordLife;
use callrec_store::{SessionTimeouts, ThrottleWindow};

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address users type, e.g. `https://calls.example.com`. Cookies are
    /// `Secure` when it is https, and cross-site checks compare against it.
    pub public_url: Option<String>,
    pub session: SessionTimeouts,
    pub argon2: Argon2Settings,
    /// Failed sign-ins allowed per username, then a pause.
    pub sign_in_per_account: ThrottleWindow,
    /// Failed sign-ins allowed per client address, then a pause.
    pub sign_in_per_client: ThrottleWindow,
    pub mfa: MfaSettings,
    /// The largest audio file the ingest API accepts, in bytes.
    pub max_upload_bytes: u64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` are believed.
    pub trusted_proxies: TrustedProxies,
    /// Hours a password someone else set stays good.
    pub temporary_password_hours: i64,
    /// CALLREC_SMTP_URL and CALLREC_MAIL_FROM: without them no mail is
    /// sent and Forgotten your password? is not offered.
    pub mail: Option<MailSettings>,
    /// Where links in mails point: the public URL, or else the address
    /// this node listens on (set at start).
    pub link_base: Option<String>,
    /// CALLREC_DEFAULT_TIME_ZONE: for companies that chose none.
    pub default_time_zone: Zone,
    /// CALLREC_DEFAULT_COUNTRY: the country national numbers are typed in,
    /// for companies that chose none.
    pub default_country: Country,
    /// CALLREC_DORMANT_DAYS: accounts unused this long are shown as
    /// dormant on Users (off when unset).
    pub dormant_days: Option<i64>,
    /// Retention, Deleted recordings and bulk download settings.
    pub records: RecordsSettings,
    /// CALLREC_API_RATE_LIMIT: API requests per token and minute.
    pub api_per_token: ThrottleWindow,
    /// CALLREC_TRANSCRIBE_URL and the rest: without it no call is
    /// transcribed (jobs wait on the queue for a node that has it).
    pub transcription: Option<callrec_app::transcription::TranscriptionSettings>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: None,
            session: SessionTimeouts {
                idle: 30 * 60,
                absolute: 12 * 60 * 60,
            },
            argon2: Argon2Settings::default(),
            sign_in_per_account: ThrottleWindow {
                seconds: 15 * 60,
                limit: 10,
            },
            sign_in_per_client: ThrottleWindow {
                seconds: 15 * 60,
                limit: 100,
            },
            mfa: MfaSettings::default(),
            max_upload_bytes: 200 * 1000 * 1000,
            trusted_proxies: TrustedProxies::default(),
            temporary_password_hours: 72,
            mail: None,
            link_base: None,
            default_time_zone: Zone::utc(),
            default_country: Country::parse("country", "GB").expect("GB is a country"),
            dormant_days: None,
            records: RecordsSettings::default(),
            api_per_token: ThrottleWindow {
                seconds: 60,
                limit: 600,
            },
            transcription: None,
        }
    }
}

impl WebConfig {
    /// The life of a password someone else sets now.
    pub fn temporary_password(&self, now: i64) -> PasswordLife {
        PasswordLife::temporary(now, self.temporary_password_hours)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// `scheme://host[:port]` of the public URL, without a path.
    pub fn public_origin(&self) -> Option<String> {
        let url = self.public_url.as_deref()?;
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split('/').next()?;
        Some(format!("{scheme}://{host}").to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_secure_cookies_follow_the_public_url() {
        let mut config = WebConfig::default();
        assert!(!config.secure_cookies());
        assert_eq!(config.public_origin(), None);
        config.public_url = Some("https://Calls.Example.com/portal/".into());
        assert!(config.secure_cookies());
        assert_eq!(
            config.public_origin().as_deref(),
            Some("https://calls.example.com")
        );
    }
}
