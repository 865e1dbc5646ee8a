//! Which escrow server addresses a device may talk to. Enrollment, manifests
//! (with their code verifiers) and events must never cross a network in clear
//! on the production platform: plain `http://` is allowed only on the test
//! platform, or to this machine itself (a TLS-terminating proxy on the device).
//! The one rule behind the enrollment QR, `enroll --server`, the configuration
//! file and `sync --server`.

use crate::profile::Profile;

/// A plain-HTTP server address refused on the production platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{url} is plain HTTP on the production platform: enrollment, manifests and events would \
     cross the network unencrypted; use the server's https:// address \
     (plain http:// is only for the test platform or this machine)"
)]
pub struct PlainHttpInProduction {
    /// The refused address.
    pub url: String,
}

/// Whether a device on `profile` may talk to the server at `url`.
pub fn server_url_allowed(profile: Profile, url: &str) -> Result<(), PlainHttpInProduction> {
    let plain = url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if profile == Profile::Production && plain && !is_loopback_url(url) {
        return Err(PlainHttpInProduction {
            url: url.to_owned(),
        });
    }
    Ok(())
}

/// The URL's host is this machine (`localhost`, `127.x.x.x`, `[::1]`).
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_plain_http_to_another_machine() {
        for url in [
            "http://escrow.example",
            "HTTP://escrow.example/api",
            "http://127.0.0.1.evil.example",
            "http://localhost@evil.example",
            "http://10.0.0.5:8080",
        ] {
            let e = server_url_allowed(Profile::Production, url).expect_err(url);
            assert!(e.to_string().contains("unencrypted"), "{url}: {e}");
        }
    }

    #[test]
    fn https_test_and_loopback_are_allowed() {
        for (profile, url) in [
            (Profile::Production, "https://escrow.example"),
            (Profile::Production, "http://127.0.0.1:8080"),
            (Profile::Production, "http://localhost:8080/api"),
            (Profile::Production, "http://[::1]:8080"),
            (Profile::Test, "http://escrow-test.example"),
        ] {
            assert_eq!(server_url_allowed(profile, url), Ok(()), "{url}");
        }
    }
}
