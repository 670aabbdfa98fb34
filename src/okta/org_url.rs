//! Turning what a user typed into a safe Okta org base URL, before any token is sent.
//!
//! Accepted: `acme`, `acme.okta.com`, `https://acme.okta.com` and the other Okta-hosted
//! suffixes; a custom https domain only as an explicit full URL. Rejected with an error that
//! shows the expected form: paths, queries, userinfo, ports, whitespace, bad DNS labels,
//! `-admin` console hosts, look-alikes such as `okta.com.evil.com`, IP literals and localhost.

use url::{Host, Url};

/// The Okta-hosted domain suffixes (Okta's "Okta domain" guide, developer.okta.com/docs/guides/find-your-domain).
pub const OKTA_SUFFIXES: &[&str] =
    &["okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com", "okta.mil", "okta-miltest.com", "trex-gov.com"];

const EXPECTED: &str =
    "expected an Okta subdomain such as `acme`, a host such as `acme.okta.com`, or a full URL such as `https://acme.okta.com`";

/// Why an org URL was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid Okta org `{input}`: {reason}; {EXPECTED}")]
pub struct OrgUrlError {
    /// What the user gave (trimmed to 100 chars).
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> OrgUrlError {
    OrgUrlError { input: input.chars().take(100).collect(), reason: reason.into() }
}

fn is_dns_label(l: &str) -> bool {
    let b = l.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
}

/// Parses user input into the org's base URL (`https://host`, no trailing path).
pub fn parse_org_url(input: &str) -> Result<Url, OrgUrlError> {
    if input.is_empty() {
        return Err(err(input, "it is empty"));
    }
    if input.chars().any(char::is_whitespace) {
        return Err(err(input, "it contains whitespace"));
    }
    let explicit = input.contains("://");
    if explicit && !input.starts_with("https://") {
        return Err(err(input, "only https is allowed"));
    }
    let host_part = if explicit {
        let url = Url::parse(input).map_err(|e| err(input, format!("not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err(input, "it carries user credentials"));
        }
        if url.port().is_some() {
            return Err(err(input, "it names a port"));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(err(input, "it has a path"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(err(input, "it has a query or fragment"));
        }
        match url.host() {
            Some(Host::Domain(d)) => d.to_string(),
            Some(_) => return Err(err(input, "IP addresses are not Okta orgs")),
            None => return Err(err(input, "it has no host")),
        }
    } else {
        if input.contains(['/', '?', '#', '@', ':']) {
            return Err(err(input, "a bare host may not carry a path, query, port or credentials"));
        }
        input.to_ascii_lowercase()
    };
    let host = host_part.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Err(err(input, "localhost is not an Okta org"));
    }
    // URL parsers read a host whose last label is a number (`1.2`, `0x7f.1`, `10.0.0.1`) as an
    // IPv4 address, however short.
    let last = host.rsplit('.').next().unwrap_or("");
    let numeric = !last.is_empty() && (last.bytes().all(|c| c.is_ascii_digit()) || last.starts_with("0x"));
    if numeric || host.parse::<std::net::Ipv4Addr>().is_ok() || host.starts_with('[') {
        return Err(err(input, "IP addresses are not Okta orgs"));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if !labels.iter().all(|l| is_dns_label(l)) {
        return Err(err(input, "a label is not a valid DNS label"));
    }
    if host.ends_with(".com.com") {
        return Err(err(input, "the host ends in .com.com"));
    }
    if labels.len() == 1 {
        if host.ends_with("-admin") {
            return Err(err(input, "that is the admin console subdomain; drop `-admin`"));
        }
        return base(input, &format!("{host}.okta.com"));
    }
    if let Some(suffix) = OKTA_SUFFIXES.iter().find(|s| host.ends_with(&format!(".{s}"))) {
        let sub = host.strip_suffix(suffix).and_then(|h| h.strip_suffix('.')).unwrap_or(&host);
        if sub.contains('.') {
            return Err(err(input, "an Okta org host has exactly one label before the Okta domain"));
        }
        if sub.ends_with("-admin") {
            return Err(err(input, "that is the admin console host; drop `-admin`"));
        }
        return base(input, &host);
    }
    if OKTA_SUFFIXES.iter().any(|s| host.starts_with(&format!("{s}.")) || host.contains(&format!(".{s}."))) {
        return Err(err(input, "the host only looks like an Okta domain"));
    }
    if !explicit {
        return Err(err(input, "a custom domain must be given as a full https:// URL"));
    }
    base(input, &host)
}

/// The base URL of a validated host; the URL parser must agree that it is a domain.
fn base(input: &str, host: &str) -> Result<Url, OrgUrlError> {
    let url = Url::parse(&format!("https://{host}")).map_err(|e| err(input, format!("not a valid host ({e})")))?;
    match url.host() {
        Some(Host::Domain(_)) => Ok(url),
        _ => Err(err(input, "IP addresses are not Okta orgs")),
    }
}

/// Accepts a testing base URL: https of any host, or http only on loopback.
pub fn parse_testing_base_url(input: &str) -> Result<Url, OrgUrlError> {
    let url = Url::parse(input).map_err(|e| err(input, format!("not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(err(input, "the testing base URL must be https, or http on a loopback address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_become_https_org_urls() {
        for (input, want) in [
            ("acme", "https://acme.okta.com/"),
            ("acme.okta.com", "https://acme.okta.com/"),
            ("ACME.okta.com", "https://acme.okta.com/"),
            ("https://acme.okta.com", "https://acme.okta.com/"),
            ("https://acme.okta.com/", "https://acme.okta.com/"),
            ("dev-123456.oktapreview.com", "https://dev-123456.oktapreview.com/"),
            ("acme.okta-emea.com", "https://acme.okta-emea.com/"),
            ("https://login.example.com", "https://login.example.com/"),
        ] {
            assert_eq!(parse_org_url(input).map(|u| u.to_string()), Ok(want.to_string()), "{input}");
        }
    }

    #[test]
    fn every_rejected_form_gets_a_clear_error() {
        for (input, why) in [
            ("", "empty"),
            ("acme .okta.com", "whitespace"),
            ("http://acme.okta.com", "https"),
            ("https://acme.okta.com/api/v1", "path"),
            ("https://acme.okta.com?x=1", "query"),
            ("https://user:pw@acme.okta.com", "credentials"),
            ("https://acme.okta.com:8443", "port"),
            ("acme.okta.com/path", "bare host"),
            ("acme_corp", "DNS label"),
            ("-acme", "DNS label"),
            ("acme-admin", "admin"),
            ("acme-admin.okta.com", "admin"),
            ("okta.com.evil.com", "looks like"),
            ("https://acme.okta.com.evil.com", "looks like"),
            ("evil.com", "full https"),
            ("https://127.0.0.1", "IP"),
            ("https://[::1]", "IP"),
            ("10.0.0.1", "IP"),
            ("localhost", "localhost"),
            ("https://localhost", "localhost"),
            ("a.b.okta.com", "exactly one label"),
            ("acme.com.com", ".com.com"),
        ] {
            let e = parse_org_url(input).expect_err(input);
            let text = e.to_string();
            assert!(text.contains(why), "{input}: {text}");
            assert!(text.contains("https://acme.okta.com"), "{input}: the error shows the expected form");
        }
    }

    #[test]
    fn the_testing_override_allows_http_only_on_loopback() {
        assert!(parse_testing_base_url("http://127.0.0.1:8001").is_ok());
        assert!(parse_testing_base_url("http://localhost:8001").is_ok());
        assert!(parse_testing_base_url("http://example.com").is_err());
    }
}
