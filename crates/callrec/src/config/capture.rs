//! The SIPREC recording server's settings (`callrec serve`, issue 27):
//! off unless `CALLREC_SIPREC_LISTEN` names an address.

use super::{positive, Config};
use crate::cli::ServeArgs;
use crate::error::CliError;
use callrec_capture::{CaptureSettings, PortRange, TlsSettings};
use std::time::Duration;

const DEFAULT_RTP_PORTS: &str = "40000-40999";
const DEFAULT_MAX_CALLS: usize = 500;
const DEFAULT_MAX_HOURS: u64 = 8;
const DEFAULT_INVITES_PER_SECOND: u32 = 50;

impl Config {
    pub(super) fn capture(&self, args: &ServeArgs) -> Result<Option<CaptureSettings>, CliError> {
        let file = &self.file;
        let Some(listen) = args
            .siprec_listen
            .clone()
            .or(file.siprec_listen.clone())
            .filter(|text| !text.trim().is_empty())
        else {
            return Ok(None);
        };
        let listen = listen.trim().parse().map_err(|_| {
            CliError::Usage(format!(
                "--siprec-listen / CALLREC_SIPREC_LISTEN must be an address and port like 0.0.0.0:5060 (got {listen:?})"
            ))
        })?;
        let ports_text = args
            .rtp_ports
            .clone()
            .or(file.rtp_ports.clone())
            .unwrap_or_else(|| DEFAULT_RTP_PORTS.to_string());
        let rtp_ports = PortRange::parse(&ports_text)
            .map_err(|err| CliError::Usage(format!("--rtp-ports / CALLREC_RTP_PORTS: {err}")))?;
        let max_calls = positive(
            args.capture_max_calls.or(file.capture_max_calls),
            DEFAULT_MAX_CALLS,
            "--capture-max-calls / CALLREC_CAPTURE_MAX_CALLS",
        )?;
        let hours = positive(
            args.capture_max_hours.or(file.capture_max_hours),
            DEFAULT_MAX_HOURS,
            "--capture-max-hours / CALLREC_CAPTURE_MAX_HOURS",
        )?;
        if hours > 24 {
            return Err(CliError::Usage(format!(
                "--capture-max-hours / CALLREC_CAPTURE_MAX_HOURS must be at most 24, the longest recording callrec keeps (got {hours})"
            )));
        }
        let invites_per_second = positive(
            args.capture_invites_per_second
                .or(file.capture_invites_per_second),
            DEFAULT_INVITES_PER_SECOND,
            "--capture-invites-per-second / CALLREC_CAPTURE_INVITES_PER_SECOND",
        )?;
        Ok(Some(CaptureSettings {
            listen,
            rtp_ports,
            max_calls,
            max_duration: Duration::from_secs(hours * 3600),
            invites_per_second,
            tls: self.capture_tls(args, listen)?,
            country: self.default_country()?,
            ack_wait: CaptureSettings::ACK_WAIT,
            silence_limit: CaptureSettings::SILENCE_LIMIT,
        }))
    }

    /// SIP over TLS: an address, a certificate and its key, all or none.
    fn capture_tls(
        &self,
        args: &ServeArgs,
        sip: std::net::SocketAddr,
    ) -> Result<Option<TlsSettings>, CliError> {
        let file = &self.file;
        let listen = args
            .siprec_tls_listen
            .clone()
            .or(file.siprec_tls_listen.clone())
            .filter(|text| !text.trim().is_empty());
        let cert = args
            .siprec_tls_cert
            .clone()
            .or(file.siprec_tls_cert.clone());
        let key = args.siprec_tls_key.clone().or(file.siprec_tls_key.clone());
        let Some(listen) = listen else {
            if cert.is_some() || key.is_some() {
                return Err(CliError::Usage(
                    "--siprec-tls-cert / --siprec-tls-key are set but --siprec-tls-listen / CALLREC_SIPREC_TLS_LISTEN is not: set the address for SIP over TLS, e.g. 0.0.0.0:5061".into(),
                ));
            }
            return Ok(None);
        };
        let listen: std::net::SocketAddr = listen.trim().parse().map_err(|_| {
            CliError::Usage(format!(
                "--siprec-tls-listen / CALLREC_SIPREC_TLS_LISTEN must be an address and port like 0.0.0.0:5061 (got {listen:?})"
            ))
        })?;
        if listen == sip {
            return Err(CliError::Usage(
                "--siprec-tls-listen must differ from --siprec-listen (TCP takes that port)".into(),
            ));
        }
        let (Some(cert), Some(key)) = (cert, key) else {
            return Err(CliError::Usage(
                "SIP over TLS needs --siprec-tls-cert / CALLREC_SIPREC_TLS_CERT and --siprec-tls-key / CALLREC_SIPREC_TLS_KEY (PEM files)".into(),
            ));
        };
        Ok(Some(TlsSettings { listen, cert, key }))
    }
}
