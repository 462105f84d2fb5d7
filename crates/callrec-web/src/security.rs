//! Cross-site request refusal, security headers, and the client's address.

use crate::{AppError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// No inline script or style anywhere: everything comes from /assets.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub(crate) async fn headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if state.config.secure_cookies() {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    // Pages show company data: keep them out of shared caches and history.
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Refuses state-changing requests that a browser says came from another
/// site. Browsers send `Sec-Fetch-Site` (and `Origin`) on every POST; tools
/// without a browser send neither and have no ambient cookies to abuse.
pub(crate) async fn reject_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers(), state.config.public_origin().as_deref()) {
        return AppError::CrossSite.into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = value("origin") else {
        return false;
    };
    let origin = origin.to_ascii_lowercase();
    let same_host = value("host").is_some_and(|host| {
        let host = host.to_ascii_lowercase();
        origin == format!("http://{host}") || origin == format!("https://{host}")
    });
    !(same_host || public_origin == Some(origin.as_str()))
}

/// The client's IP address, for the audit log and per-client throttling:
/// the peer, or behind a trusted proxy the address it forwarded.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddr("unknown".to_string()));
        };
        let values = |name: header::HeaderName| -> Vec<&str> {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        let client = state.config.trusted_proxies.client(
            peer.0.ip(),
            &values(header::FORWARDED),
            &values(header::HeaderName::from_static("x-forwarded-for")),
        );
        Ok(ClientAddr(client.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cross_site_table() {
        let origin = Some("https://calls.example.com");
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[], false),
            (&[("sec-fetch-site", "same-origin")], false),
            (&[("sec-fetch-site", "none")], false),
            (&[("sec-fetch-site", "cross-site")], true),
            (&[("sec-fetch-site", "same-site")], true),
            (
                &[
                    ("origin", "https://evil.example"),
                    ("host", "calls.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("origin", "https://calls.example.com"),
                    ("host", "10.0.0.5:8080"),
                ],
                false,
            ),
            (
                &[
                    ("origin", "http://127.0.0.1:8080"),
                    ("host", "127.0.0.1:8080"),
                ],
                false,
            ),
            (&[("origin", "null"), ("host", "127.0.0.1:8080")], true),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                is_cross_site(&headers(pairs), origin),
                *expected,
                "{pairs:?}"
            );
        }
    }
}
