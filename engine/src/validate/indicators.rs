//! The check that keeps scenario indicators synthetic: an exercise's files are
//! handed around, pasted into tickets and sometimes into real tooling, so a
//! value that could be a real address, domain or e-mail is refused. Only the
//! ranges and names reserved for documentation pass (RFC 5737 and RFC 3849
//! addresses, RFC 2606 / RFC 6761 names); hashes and ATT&CK ids must only be
//! well formed.

use std::net::IpAddr;

use crate::scenario::{Indicator, IndicatorKind};

/// Most indicators on one incident.
pub const MAX_INDICATORS_PER_INCIDENT: usize = 64;
/// Longest indicator value, in characters.
pub const MAX_INDICATOR_CHARS: usize = 512;

/// Why `indicator` is not acceptable, if it is not.
pub fn problem(indicator: &Indicator) -> Option<String> {
    let value = indicator.value.as_str();
    if value.chars().count() > MAX_INDICATOR_CHARS {
        return Some(format!("longer than {MAX_INDICATOR_CHARS} characters"));
    }
    if indicator.comment.chars().count() > super::limits::MAX_NAME_CHARS {
        return Some(format!("comment: longer than {} characters", super::limits::MAX_NAME_CHARS));
    }
    // Values travel into terminals, MISP and STIX files: no control or
    // bidirectional-override characters, and no spaces.
    if let Some(c) = value.chars().find(|c| c.is_control() || BIDI.contains(c) || c.is_whitespace()) {
        return Some(format!("holds the character U+{:04X}: indicator values are plain, visible text", c as u32));
    }
    let ok = match indicator.kind {
        IndicatorKind::Ip => return ip_problem(value),
        IndicatorKind::Domain => reserved_domain(value),
        IndicatorKind::Url => url_host(value).is_some_and(|host| reserved_domain(host) || documentation_ip(host)),
        IndicatorKind::Email => {
            value.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && reserved_domain(domain))
        }
        IndicatorKind::Sha256 => hex_of_len(value, 64),
        IndicatorKind::Md5 => hex_of_len(value, 32),
        IndicatorKind::Filename => {
            !value.trim().is_empty() && !value.contains(['/', '\\']) && !value.chars().any(char::is_control)
        }
        IndicatorKind::Technique => technique(value),
    };
    (!ok).then(|| {
        match indicator.kind {
            IndicatorKind::Domain => "not a domain under example.com, example.net, example.org or a .example, .test or .invalid name (scenarios carry synthetic indicators only)",
            IndicatorKind::Url => "not an http(s) URL on a documentation domain or address (scenarios carry synthetic indicators only)",
            IndicatorKind::Email => "not an e-mail address on a documentation domain such as example.com (scenarios carry synthetic indicators only)",
            IndicatorKind::Sha256 => "a SHA-256 is 64 hexadecimal digits",
            IndicatorKind::Md5 => "an MD5 is 32 hexadecimal digits",
            IndicatorKind::Filename => "a file name is non-empty, without '/', '\\' or control characters",
            IndicatorKind::Technique => "an ATT&CK technique id looks like T1486 or T1566.001",
            IndicatorKind::Ip => unreachable!("handled above"),
        }
        .to_string()
    })
}

fn ip_problem(value: &str) -> Option<String> {
    match value.parse::<IpAddr>() {
        Err(_) => Some(format!("{value:?} is not an IP address")),
        Ok(_) if documentation_ip(value) => None,
        Ok(_) => Some(format!(
            "{value} is not in a documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32): scenarios carry synthetic indicators only"
        )),
    }
}

fn documentation_ip(value: &str) -> bool {
    let value = value.trim_start_matches('[').trim_end_matches(']');
    match value.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => matches!(v4.octets(), [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _]),
        Ok(IpAddr::V6(v6)) => v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8,
        Err(_) => false,
    }
}

/// Characters that reorder text on screen (Trojan Source).
const BIDI: [char; 9] =
    ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

fn reserved_domain(domain: &str) -> bool {
    // One trailing dot (the root) at most.
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_ascii_lowercase();
    let labels_ok = !domain.is_empty()
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let reserved = ["example.com", "example.net", "example.org", "example", "test", "invalid"]
        .iter()
        .any(|r| domain == *r || domain.ends_with(&format!(".{r}")));
    labels_ok && reserved
}

/// The host of an `http://` or `https://` URL.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    // Browsers (WHATWG) end the authority at a backslash too; userinfo is
    // refused outright (`http://real.host@example.com` misleads people).
    let authority = rest.split(['/', '?', '#', '\\']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = authority;
    if host.starts_with('[') {
        return host.split_once(']').map(|(h, _)| &h[1..]);
    }
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

fn hex_of_len(value: &str, len: usize) -> bool {
    value.len() == len && value.chars().all(|c| c.is_ascii_hexdigit())
}

fn technique(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('T') else { return false };
    let (main, sub) = rest.split_once('.').map_or((rest, None), |(m, s)| (m, Some(s)));
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: IndicatorKind, value: &str) -> Option<String> {
        problem(&Indicator { kind, value: value.to_string(), comment: String::new() })
    }

    #[test]
    fn documentation_values_pass() {
        use IndicatorKind::*;
        for (kind, value) in [
            (Ip, "198.51.100.7"),
            (Ip, "192.0.2.1"),
            (Ip, "203.0.113.250"),
            (Ip, "2001:db8::17"),
            (Domain, "update-check.example.com"),
            (Domain, "grid.example"),
            (Url, "https://cdn.example.net/payload.bin"),
            (Url, "http://198.51.100.7:8080/x"),
            (Url, "http://[2001:db8::1]/x"),
            (Domain, "grid.example.com."),
            (Email, "invoice@billing.example.org"),
            (Sha256, &"ab".repeat(32)),
            (Md5, &"0F".repeat(16)),
            (Filename, "invoice_0423.pdf.exe"),
            (Technique, "T1486"),
            (Technique, "T1566.001"),
        ] {
            assert_eq!(check(kind, value), None, "{kind:?} {value}");
        }
    }

    #[test]
    fn real_looking_or_malformed_values_are_refused() {
        use IndicatorKind::*;
        for (kind, value) in [
            (Ip, "8.8.8.8"),
            (Ip, "198.51.101.7"),
            (Ip, "2001:db9::1"),
            (Ip, "not-an-ip"),
            (Domain, "creos.lu"),
            (Domain, "example.com.evil.lu"),
            (Domain, "notexample.com"),
            (Domain, "bad_label.example.com"),
            (Url, "https://govcert.lu/"),
            (Url, "ftp://files.example.com/"),
            (Email, "someone@post.lu"),
            (Email, "@example.com"),
            (Sha256, "abc"),
            (Md5, &"zz".repeat(16)),
            (Filename, "../etc/passwd"),
            (Technique, "T148"),
            (Technique, "t1486"),
            (Technique, "T1566.1"),
            // From a hostile review: a backslash ends the authority for browsers,
            // control and bidi characters reach terminals and MISP.
            (Url, "https://real-c2.evil.lu\\@telemetry.example.net/x"),
            (Url, "http://example.com@evil.com/"),
            (Url, "http://user@example.com/"),
            (Url, "http://example.com/\u{1b}[2J"),
            (Url, "http://evil.com\u{0}@example.com/"),
            (Email, "\u{1b}]0;PWNED\u{7}ops@example.net"),
            (Email, "a b@example.net"),
            (Domain, "-.example.com"),
            (Domain, "example.com.."),
            (Filename, "invoice\u{202E}fdp.exe"),
            (Filename, "tab\there"),
        ] {
            assert!(check(kind, value).is_some(), "{kind:?} {value} should be refused");
        }
    }

    #[test]
    fn overlong_values_are_refused() {
        let long = format!("{}.example.com", "a".repeat(MAX_INDICATOR_CHARS));
        assert!(check(IndicatorKind::Domain, &long).unwrap().contains("longer than"));
    }
}
