//! The join kit: what an organiser hands out. Beside the journal,
//! `<journal>.join/` holds an `index.html` for the organiser (every team, its
//! organisation and role, its join link), one page per team to print or mail
//! (`teams/<NN>-<team>.html`, NN its place in the scenario: the join link, the
//! token, the `cascade play` line) and `links.csv` for a mail merge. The
//! numbered names under their own directory keep a team called `index` (or two
//! ids that differ only in case, on a case-insensitive disk) from overwriting
//! another page. The directories and files are the owner's only (0700/0600):
//! they hold the tokens.
//!
//! The address in the links is the one players reach: `--public-url`, or the
//! address listened on; for an unspecified address (0.0.0.0, ::) this
//! machine's address on its default route, which the organiser should check.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cascade_engine::scenario::{Scenario, TeamRole};

use cascade_replay::report::render::esc;

use crate::tokens::Tokens;

/// Where players find the exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `http(s)://HOST:PORT`, no trailing slash: the portal.
    pub base: String,
    /// `ws(s)://HOST:PORT`: the same port, for `cascade play` and bots.
    pub websocket: String,
    /// Listening on a loopback address only: no other machine can join.
    pub loopback_only: bool,
    /// The host name was guessed for an unspecified address.
    pub guessed: bool,
}

impl Address {
    /// The team's join link: the token in the fragment, which browsers never
    /// send to a server or put in a Referer.
    pub fn join_link(&self, token: &str) -> String {
        format!("{}/#join={token}", self.base)
    }
}

/// Checks a `--public-url`: `http://` or `https://` (matching whether the
/// host serves TLS), then a host — a DNS name, an IPv4 address or a bracketed
/// IPv6 one — and an optional port 1–65535, nothing else.
pub fn check_public_url(url: &str, tls: bool) -> Result<String> {
    let want = if tls { "https" } else { "http" };
    let example = format!("{want}://exercise.lan:8443");
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("--public-url {url:?}: expected {want}://HOST[:PORT], like {example}"))?;
    if !scheme.eq_ignore_ascii_case(want) {
        bail!(
            "--public-url {url:?}: the host serves {want} ({}), so links must start with {want}://",
            if tls { "--tls-cert or --tls-self-signed was given" } else { "no TLS option was given" }
        );
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6
                .split_once(']')
                .with_context(|| format!("--public-url {url:?}: an IPv6 address needs its closing ]"))?;
            if address.parse::<std::net::Ipv6Addr>().is_err() {
                bail!("--public-url {url:?}: {address:?} is not an IPv6 address");
            }
            let port = match after {
                "" => None,
                p => {
                    Some(p.strip_prefix(':').with_context(|| format!("--public-url {url:?}: expected :PORT after ]"))?)
                }
            };
            (format!("[{address}]"), port)
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (authority.to_string(), None),
        },
    };
    let name_ok = !host.is_empty()
        && (host.starts_with('[')
            || host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }));
    if !name_ok {
        bail!(
            "--public-url {url:?}: {host:?} is not a host name or address (letters, digits, '-' and '.'), like {example}"
        );
    }
    let port = match port {
        None => String::new(),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => format!(":{n}"),
            _ => bail!("--public-url {url:?}: the port {p:?} is not a number from 1 to 65535"),
        },
    };
    Ok(format!("{want}://{}{port}", host.to_ascii_lowercase()))
}

/// The address for links, given the bound address, TLS, and `--public-url`.
pub fn address(bound: SocketAddr, tls: bool, public_url: Option<&str>) -> Address {
    let (http, ws) = if tls { ("https", "wss") } else { ("http", "ws") };
    let loopback_only = bound.ip().is_loopback();
    if let Some(url) = public_url {
        let host = url.split_once("://").map_or(url, |(_, h)| h);
        return Address { base: url.to_string(), websocket: format!("{ws}://{host}"), loopback_only, guessed: false };
    }
    let (ip, guessed) = if bound.ip().is_unspecified() {
        match default_route_address(bound.ip()) {
            Some(ip) => (ip, true),
            None => (
                if bound.is_ipv4() { IpAddr::from([127, 0, 0, 1]) } else { IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]) },
                true,
            ),
        }
    } else {
        (bound.ip(), false)
    };
    let host = SocketAddr::new(ip, bound.port());
    Address { base: format!("{http}://{host}"), websocket: format!("{ws}://{host}"), loopback_only, guessed }
}

/// This machine's address on its default route (the one other machines of
/// the room most likely reach), found by asking the OS which source address a
/// UDP socket "connected" to a documentation address would use: nothing is
/// sent.
fn default_route_address(family: IpAddr) -> Option<IpAddr> {
    let (local, probe): (&str, &str) =
        if family.is_ipv4() { ("0.0.0.0:0", "192.0.2.1:9") } else { ("[::]:0", "[2001:db8::1]:9") };
    let socket = std::net::UdpSocket::bind(local).ok()?;
    socket.connect(probe).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// The host names and addresses a self-signed certificate should name: the
/// address in the links, this machine's name, and the loopback names.
pub fn certificate_names(address: &Address, bound: SocketAddr) -> Vec<String> {
    let mut names = Vec::new();
    let host_of = |url: &str| {
        let host = url.split_once("://").map_or(url, |(_, h)| h);
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(v6),
            None => host.rsplit_once(':').map_or(host, |(h, _)| h),
        };
        host.to_string()
    };
    names.push(host_of(&address.base));
    if !bound.ip().is_unspecified() {
        names.push(bound.ip().to_string());
    }
    if let Some(name) = hostname() {
        names.push(name);
    }
    names.extend(["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()]);
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| !n.is_empty() && seen.insert(n.clone()));
    names
}

fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/etc/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .then(|| name.to_string())
}

/// `<journal>.join`.
pub fn dir_beside(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".join");
    PathBuf::from(name)
}

/// What the kit says about TLS, if the host serves it.
pub struct TlsNote<'a> {
    pub fingerprint: &'a str,
    pub cert_file: &'a Path,
    pub self_signed: bool,
}

/// Writes the kit into `dir` (replacing an older kit's files: a branch or a
/// resumed exercise on another port gets links that work).
pub fn write(dir: &Path, scenario: &Scenario, tokens: &Tokens, address: &Address, tls: Option<&TlsNote>) -> Result<()> {
    create_private_dir(dir)?;
    create_private_dir(&dir.join("teams"))?;
    let title = if scenario.name.is_empty() { "the exercise".to_string() } else { scenario.name.clone() };
    let mut index = page_start(&format!("Join kit: {title}"));
    let _ = write!(
        index,
        "<h1>Join kit: {}</h1>\n<p>Players open their team's join link in a browser, or run the <code>cascade play</code> line. \
         Each team's page below can be printed or sent to that team only: <strong>a token lets anyone who has it act as the team</strong>.</p>\n\
         <p>Portal: <a href=\"{base}/\">{base}/</a> · for <code>cascade play</code>, bots and the director console: <code>{ws}</code></p>\n",
        esc(&title),
        base = esc(&address.base),
        ws = esc(&address.websocket),
    );
    if address.loopback_only {
        index.push_str("<p class=\"warn\">The host listens on a loopback address: only this machine can join. \
             Restart it with <code>--addr 0.0.0.0:PORT</code> (or this machine's address on the room's network) for other machines.</p>\n");
    } else if address.guessed {
        index.push_str("<p class=\"warn\">The host listens on every address; the links use this machine's address on its default route. \
             If players reach it by another name or address, restart with <code>--public-url</code>.</p>\n");
    }
    if let Some(tls) = tls {
        let _ = writeln!(
            index,
            "<p>Connections are encrypted (https/wss). Certificate SHA-256 fingerprint:<br><code class=\"fp\">{}</code>{}</p>",
            esc(tls.fingerprint),
            if tls.self_signed {
                format!(
                    "<br>The certificate is self-signed: browsers will warn once; players should check that the fingerprint their browser shows is this one. \
                     For <code>cascade play</code>, give players the certificate file <code>{}</code> (<code>--ca-cert</code>).",
                    esc(&tls.cert_file.display().to_string())
                )
            } else {
                String::new()
            }
        );
    }
    index.push_str(
        "<table>\n<thead><tr><th>Team</th><th>Organisation</th><th>Role</th><th>Join link</th></tr></thead>\n<tbody>\n",
    );
    let mut csv = String::from("team,name,organisation,role,join_link,token,cascade_play\n");
    let digits = scenario.teams.len().to_string().len();
    for (number, team) in scenario.teams.iter().enumerate() {
        let Some(token) = tokens.teams.get(&team.id) else { continue };
        let organisation = scenario
            .organisations
            .iter()
            .find(|o| o.id == team.organisation)
            .map(|o| if o.name.is_empty() { o.id.clone() } else { o.name.clone() })
            .unwrap_or_else(|| team.organisation.clone());
        let name = if team.name.is_empty() { team.id.clone() } else { team.name.clone() };
        let role = role_label(team.role);
        let link = address.join_link(token);
        let play = play_line(address, token, tls);
        let file = page_name(number, digits, &team.id);
        let _ = writeln!(
            index,
            "<tr><td><a href=\"{file}\">{}</a><br><small>{}</small></td><td>{}</td><td>{role}</td><td><a href=\"{link}\">join</a></td></tr>",
            esc(&name),
            esc(&team.id),
            esc(&organisation),
            file = esc(&file),
            link = esc(&link),
        );
        let mut page = page_start(&format!("{name}: joining {title}"));
        let _ = write!(
            page,
            "<h1>{name}</h1>\n<p>{organisation} · {role} · team id <code>{id}</code></p>\n<p>Exercise: {title}</p>\n\
             <h2>In a browser</h2>\n<p class=\"link\"><a href=\"{link}\">{link}</a></p>\n\
             <h2>Or type the token</h2>\n<p>Open <a href=\"{base}/\">{base}/</a> and enter:</p>\n<p class=\"token\"><code>{token}</code></p>\n\
             <h2>In a terminal</h2>\n<pre>{play}</pre>\n\
             <p class=\"warn\">Keep this page to your team: the token lets anyone who has it act as {name}.</p>\n",
            name = esc(&name),
            organisation = esc(&organisation),
            id = esc(&team.id),
            title = esc(&title),
            link = esc(&link),
            base = esc(&address.base),
            token = esc(token),
            play = esc(&play),
        );
        if let Some(tls) = tls {
            let _ = writeln!(
                page,
                "<p>The connection is encrypted. The certificate's SHA-256 fingerprint is <code class=\"fp\">{}</code>.</p>",
                esc(tls.fingerprint)
            );
        }
        page.push_str(PAGE_END);
        crate::private_file::write(&dir.join(&file), page.as_bytes())?;
        let fields = [team.id.as_str(), &name, &organisation, role, &link, token, &play];
        let _ = writeln!(csv, "{}", fields.map(csv_field).join(","));
    }
    index.push_str("</tbody></table>\n");
    index.push_str(PAGE_END);
    crate::private_file::write(&dir.join("index.html"), index.as_bytes())?;
    crate::private_file::write(&dir.join("links.csv"), csv.as_bytes())?;
    Ok(())
}

/// A team page's path inside the kit: `teams/07-circl.html`.
pub fn page_name(number: usize, digits: usize, id: &str) -> String {
    format!("teams/{:0digits$}-{id}.html", number + 1)
}

/// The `cascade play` line for a token.
pub fn play_line(address: &Address, token: &str, tls: Option<&TlsNote>) -> String {
    let trust = match tls {
        Some(tls) if tls.self_signed => format!(
            " --ca-cert {}",
            tls.cert_file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ),
        _ => String::new(),
    };
    format!("cascade play {} --token {token}{trust}", address.websocket)
}

fn role_label(role: TeamRole) -> &'static str {
    match role {
        TeamRole::Csirt => "CSIRT",
        TeamRole::Operator => "operator",
        TeamRole::Regulator => "regulator",
        TeamRole::CrisisCell => "crisis cell",
        TeamRole::Cerc => "cyber risk evaluation cell",
        TeamRole::Communication => "communication",
        TeamRole::Ministry => "ministry",
        TeamRole::Media => "media",
    }
}

fn page_start(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title>\n<style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
         code,pre{{font-family:ui-monospace,monospace}} .token code,.fp{{word-break:break-all}} .token code{{font-size:1.3rem}}\
         .link a{{font-size:1.1rem;word-break:break-all}} pre{{white-space:pre-wrap;word-break:break-all;background:#eee;padding:.5rem}}\
         table{{border-collapse:collapse}} td,th{{border:1px solid #999;padding:.3rem .6rem;text-align:left;vertical-align:top}}\
         .warn{{border-left:4px solid #c60;padding-left:.6rem}}\
         @media print{{a{{color:inherit}}}}</style></head><body>\n",
        esc(title)
    )
}

const PAGE_END: &str = "</body></html>\n";

/// A CSV field, quoted when needed; one a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) is defused
/// with a leading `'`, as OWASP advises for CSV injection.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        bail!("{} is in the way: not a directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot protect {}", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_must_match_the_scheme_and_hold_only_a_host() {
        assert_eq!(check_public_url("http://exercise.lan:8080/", false).unwrap(), "http://exercise.lan:8080");
        assert_eq!(check_public_url("HTTPS://10.0.0.5", true).unwrap(), "https://10.0.0.5");
        assert_eq!(check_public_url("https://[::1]:8443", true).unwrap(), "https://[::1]:8443");
        assert_eq!(check_public_url("http://Exercise.LAN", false).unwrap(), "http://exercise.lan");
        for (url, tls) in [
            ("exercise.lan:8080", false),
            ("https://exercise.lan", false),
            ("http://exercise.lan", true),
            ("http://exercise.lan/path", false),
            ("http://user@exercise.lan", false),
            ("http://", false),
            ("https://a,b:1", true),
            ("https://host:99999", true),
            ("https://host:abc", true),
            ("https://host:0", true),
            ("https://:8080", true),
            ("https://[::1", true),
            ("https://[nope]:1", true),
            ("https://*.evil.com", true),
            ("https://host\t", true),
            ("https://a\\b", true),
            ("https://\"onmouseover=x", true),
            ("https://-bad-.lan", true),
        ] {
            assert!(check_public_url(url, tls).is_err(), "{url} accepted");
        }
    }

    #[test]
    fn links_use_the_bound_address_or_the_public_url() {
        let a = address("127.0.0.1:7878".parse().unwrap(), false, None);
        assert_eq!((a.base.as_str(), a.websocket.as_str()), ("http://127.0.0.1:7878", "ws://127.0.0.1:7878"));
        assert!(a.loopback_only && !a.guessed);
        assert_eq!(a.join_link("abc"), "http://127.0.0.1:7878/#join=abc");
        let v6 = address("[::1]:9".parse().unwrap(), true, None);
        assert_eq!(v6.base, "https://[::1]:9");
        let public = address("0.0.0.0:8443".parse().unwrap(), true, Some("https://exercise.lan:443"));
        assert_eq!(
            (public.base.as_str(), public.websocket.as_str()),
            ("https://exercise.lan:443", "wss://exercise.lan:443")
        );
        assert!(!public.loopback_only && !public.guessed);
        let any = address("0.0.0.0:8080".parse().unwrap(), false, None);
        assert!(any.guessed && !any.loopback_only && any.base.ends_with(":8080"), "{any:?}");
        assert!(certificate_names(&public, "0.0.0.0:8443".parse().unwrap()).contains(&"exercise.lan".to_string()));
        assert!(certificate_names(&v6, "[::1]:9".parse().unwrap()).contains(&"::1".to_string()));
    }

    #[test]
    fn text_is_escaped_for_html_and_csv() {
        assert_eq!(esc("<a href=\"x\">'&"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("+HYPERLINK(\"x\")"), "\"'+HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
