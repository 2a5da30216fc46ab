//! One port, three things: TLS (when the host has a certificate), plain HTTP
//! for the player portal (`GET /` and its few files, embedded in the binary),
//! and the websocket upgrade for the exercise protocol.
//!
//! The host reads each request's head itself (bounded in bytes and, by the
//! caller, in time) instead of handing the socket to tungstenite's handshake:
//! that handshake can only upgrade, and a browser first asks for a page. An
//! upgrade is answered here (RFC 6455's accept key) and the socket, with any
//! bytes read past the head, becomes a websocket; any other request gets one
//! response and the connection is closed.
//!
//! It must never put anything of an exercise in an HTTP response (the portal's
//! files are the same for every caller; a team's state only ever travels on
//! its authenticated websocket), nor read an unbounded request.

pub mod portal;
pub mod tls;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// The most a request head may take (request line and headers). Browsers
/// send well under 2 KiB to this host: it sets no cookies.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 48;
/// The answer to plain HTTP on a TLS port.
const USE_TLS: &str =
    "Bad Request: this exercise is served over TLS: open the https:// address (or use wss:// in cascade play)";

/// A connection's byte stream: plain TCP, or TLS over it.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What became of a connection's first request.
pub enum Accepted {
    /// Upgraded: the exercise protocol follows.
    WebSocket(Box<WebSocketStream<Stream>>),
    /// A plain HTTP request, answered; the connection is done. `status` for
    /// the log.
    Answered { status: u16 },
}

/// Why a connection ended before a request could be answered.
#[derive(Debug)]
pub enum Failed {
    /// Closed, reset or broken before a whole request head arrived.
    Io(io::Error),
    /// The TLS handshake failed (plain HTTP to an https port, an old client,
    /// a certificate the client refused).
    Tls(io::Error),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Io(e) => write!(f, "{e}"),
            Failed::Tls(e) => write!(f, "TLS handshake: {e}"),
        }
    }
}

/// Takes a freshly accepted TCP connection through TLS (if `tls`), reads its
/// first request and either upgrades it to a websocket or answers it. The
/// caller bounds the time it may take.
pub async fn accept(
    tcp: TcpStream,
    tls: Option<&tokio_rustls::TlsAcceptor>,
    config: WebSocketConfig,
) -> Result<Accepted, Failed> {
    let mut stream = match tls {
        Some(acceptor) => {
            // Plain HTTP to the TLS port (an http:// link, a ws:// client):
            // say so in plain HTTP rather than fail a handshake in silence.
            // A TLS connection starts with a handshake record, 0x16.
            let mut first = [0u8; 1];
            if tcp.peek(&mut first).await.map_err(Failed::Io)? == 1 && first[0] != 0x16 {
                let mut plain = Stream::Plain(tcp);
                answer(&mut plain, &Response::error(400, USE_TLS)).await;
                return Ok(Accepted::Answered { status: 400 });
            }
            Stream::Tls(Box::new(acceptor.accept(tcp).await.map_err(Failed::Tls)?))
        }
        None => Stream::Plain(tcp),
    };
    let mut buf = Vec::with_capacity(1024);
    let (request, head_len) = loop {
        if buf.len() >= MAX_HEAD_BYTES {
            answer(&mut stream, &Response::error(431, "Request Header Fields Too Large")).await;
            return Ok(Accepted::Answered { status: 431 });
        }
        let mut chunk = [0u8; 2048];
        let room = (MAX_HEAD_BYTES - buf.len()).min(chunk.len());
        let n = stream.read(&mut chunk[..room]).await.map_err(Failed::Io)?;
        if n == 0 {
            return Err(Failed::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        // Parse the first bytes (junk such as a TLS handshake is refused at
        // once), then only once the head may be whole (a blank line has
        // arrived, looked for in what is new): a head sent a byte at a time
        // costs two parses, not one per byte.
        let first = buf.is_empty();
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        let ended = buf[from..].windows(2).any(|w| w == b"\n\n") || buf[from..].windows(4).any(|w| w == b"\r\n\r\n");
        if !first && !ended {
            continue;
        }
        match parse(&buf) {
            Parsed::Partial => continue,
            Parsed::Bad(status, reason) => {
                answer(&mut stream, &Response::error(status, reason)).await;
                return Ok(Accepted::Answered { status });
            }
            Parsed::Complete(request, len) => break (request, len),
        }
    };
    match route(&request) {
        Route::Upgrade { key } => {
            let accept_key = derive_accept_key(key.as_bytes());
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept_key}\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await.map_err(Failed::Io)?;
            stream.flush().await.map_err(Failed::Io)?;
            // A client may send its first frame right behind the request.
            let rest = buf[head_len..].to_vec();
            let ws = WebSocketStream::from_partially_read(stream, rest, Role::Server, Some(config)).await;
            Ok(Accepted::WebSocket(Box::new(ws)))
        }
        Route::Respond(response) => {
            let status = response.status;
            answer(&mut stream, &response).await;
            Ok(Accepted::Answered { status })
        }
    }
}

/// The parts of a request head the host looks at.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    /// The path, without its query string.
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated header holds `token` (case-insensitive).
    fn header_has(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

enum Parsed {
    Partial,
    Bad(u16, &'static str),
    Complete(Request, usize),
}

fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Ok(httparse::Status::Complete(len)) => {
            let (Some(method), Some(target)) = (request.method, request.path) else {
                return Parsed::Bad(400, "Bad Request");
            };
            // The absolute form (`GET http://host/ HTTP/1.1`, RFC 9112 §3.2.2)
            // names the same resource as its path.
            let target = match target.split_once("://") {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") => {
                    rest.find('/').map_or("/", |at| &rest[at..])
                }
                _ => target,
            };
            let path = target.split(['?', '#']).next().unwrap_or("").to_string();
            let headers = request
                .headers
                .iter()
                .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                .collect();
            Parsed::Complete(Request { method: method.to_string(), path, headers }, len)
        }
        Err(httparse::Error::TooManyHeaders) => Parsed::Bad(431, "Request Header Fields Too Large: too many headers"),
        Err(_) => Parsed::Bad(400, "Bad Request"),
    }
}

/// What to do with a request.
#[derive(Debug, PartialEq)]
enum Route {
    Upgrade { key: String },
    Respond(Response),
}

fn route(request: &Request) -> Route {
    let wants_websocket = request.header_has("upgrade", "websocket");
    if wants_websocket {
        if request.method != "GET" {
            return Route::Respond(Response::error(405, "Method Not Allowed"));
        }
        if request.header("sec-websocket-version").map(str::trim) != Some("13") {
            let mut response = Response::error(426, "Upgrade Required: websocket version 13");
            response.extra.push(("Sec-WebSocket-Version", "13".to_string()));
            return Route::Respond(response);
        }
        let Some(key) = request.header("sec-websocket-key").map(str::trim).filter(|k| !k.is_empty()) else {
            return Route::Respond(Response::error(400, "Bad Request: no Sec-WebSocket-Key"));
        };
        if !request.header_has("connection", "upgrade") {
            return Route::Respond(Response::error(400, "Bad Request: Connection must include Upgrade"));
        }
        return Route::Upgrade { key: key.to_string() };
    }
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        let mut response = Response::error(405, "Method Not Allowed");
        response.extra.push(("Allow", "GET, HEAD".to_string()));
        return Route::Respond(response);
    }
    match portal::file(&request.path) {
        Some(file) => Route::Respond(Response {
            status: 200,
            reason: "OK",
            content_type: file.content_type,
            body: file.body,
            head_only,
            extra: Vec::new(),
        }),
        None => {
            let mut response = Response::error(404, "Not Found");
            response.head_only = head_only;
            Route::Respond(response)
        }
    }
}

/// One HTTP response.
#[derive(Debug, PartialEq)]
struct Response {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    head_only: bool,
    extra: Vec<(&'static str, String)>,
}

impl Response {
    fn error(status: u16, reason: &'static str) -> Response {
        Response {
            status,
            reason,
            content_type: "text/plain; charset=utf-8",
            body: reason.as_bytes(),
            head_only: false,
            extra: Vec::new(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let status_reason = match self.status {
            200 => "OK",
            _ => self.reason.split(':').next().unwrap_or(self.reason),
        };
        let mut head = format!(
            "HTTP/1.1 {} {status_reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        for (name, value) in
            SECURITY_HEADERS.iter().map(|(n, v)| (*n, *v)).chain(self.extra.iter().map(|(n, v)| (*n, v.as_str())))
        {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        if !self.head_only {
            bytes.extend_from_slice(self.body);
        }
        bytes
    }
}

/// The Content-Security-Policy of every response: the page's own script and
/// style files only (no inline code, no third party), websockets to the page's
/// own origin, no frames, no forms posting anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: [(&str, &str); 7] = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    // The page is small and changes with the binary: always ask again.
    ("Cache-Control", "no-cache"),
];

/// Writes a response, then closes the connection the way `connection` closes
/// a websocket: half-close, and read what the client still sends for a moment,
/// so that the client sees the response rather than a reset.
async fn answer(stream: &mut Stream, response: &Response) {
    if stream.write_all(&response.bytes()).await.is_err() {
        return;
    }
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(250);
    while drained < MAX_HEAD_BYTES * 4 {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        match parse(text.as_bytes()) {
            Parsed::Complete(request, len) => {
                assert_eq!(len, text.len());
                request
            }
            _ => panic!("not a complete request: {text:?}"),
        }
    }

    const UPGRADE: &str = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

    #[test]
    fn an_upgrade_is_recognised_whatever_the_case_of_its_tokens() {
        assert_eq!(route(&request(UPGRADE)), Route::Upgrade { key: "dGhlIHNhbXBsZSBub25jZQ==".to_string() });
        // RFC 6455's own example key and answer.
        assert_eq!(derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn a_broken_upgrade_gets_the_status_that_says_why() {
        let status = |text: &str| match route(&request(text)) {
            Route::Respond(r) => r.status,
            Route::Upgrade { .. } => 101,
        };
        assert_eq!(status(&UPGRADE.replace("Version: 13", "Version: 8")), 426);
        assert_eq!(status(&UPGRADE.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")), 400);
        assert_eq!(status(&UPGRADE.replace("GET", "POST")), 405);
        assert_eq!(status(&UPGRADE.replace("keep-alive, Upgrade", "keep-alive")), 400);
    }

    #[test]
    fn the_portal_is_served_with_its_policy_and_anything_else_is_404_or_405() {
        let Route::Respond(page) = route(&request("GET /?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")) else { panic!() };
        assert_eq!((page.status, page.content_type), (200, "text/html; charset=utf-8"));
        let text = String::from_utf8(page.bytes()).unwrap();
        assert!(text.contains(&format!("Content-Security-Policy: {CONTENT_SECURITY_POLICY}\r\n")), "{text}");
        assert!(text.contains("X-Content-Type-Options: nosniff\r\n"));
        assert!(text.ends_with(std::str::from_utf8(page.body).unwrap()));
        let Route::Respond(head) = route(&request("HEAD /portal.js HTTP/1.1\r\n\r\n")) else { panic!() };
        let head_bytes = head.bytes();
        assert!(head_bytes.ends_with(b"\r\n\r\n") && head.status == 200 && !head.body.is_empty());
        assert!(String::from_utf8(head_bytes).unwrap().contains(&format!("Content-Length: {}\r\n", head.body.len())));
        for (text, status) in [
            ("GET /journal.jsonl HTTP/1.1\r\n\r\n", 404),
            ("GET /../Cargo.toml HTTP/1.1\r\n\r\n", 404),
            ("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
            ("DELETE /portal.js HTTP/1.1\r\n\r\n", 405),
        ] {
            let Route::Respond(r) = route(&request(text)) else { panic!() };
            assert_eq!(r.status, status, "{text}");
        }
    }

    #[test]
    fn heads_arrive_in_pieces_and_junk_is_bad() {
        assert!(matches!(parse(b"GET / HT"), Parsed::Partial));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost: h\r\n"), Parsed::Partial));
        assert!(matches!(parse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), Parsed::Bad(400, _)));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"), Parsed::Bad(400, _)));
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(MAX_HEADERS + 1));
        assert!(matches!(parse(many.as_bytes()), Parsed::Bad(431, _)));
        let Parsed::Complete(absolute, _) = parse(b"GET http://exercise.lan:8080/portal.js?x HTTP/1.1\r\n\r\n") else {
            panic!()
        };
        assert_eq!(absolute.path, "/portal.js");
    }
}
