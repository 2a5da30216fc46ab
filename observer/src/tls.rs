//! Encrypted connections for the clients (`wss://`): which certificates a
//! client trusts. By default the public web's roots (webpki-roots, so a
//! machine without a CA bundle behaves the same); `--ca-cert FILE` trusts the
//! certificates in a PEM file instead (an exercise network's own CA, or the
//! host's self-signed certificate itself); a client in the host's own process
//! pins the host's certificate exactly.
//!
//! rustls with the ring provider, as the host.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Which server certificates a client accepts.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// Certificates issued by the public web's roots.
    #[default]
    Public,
    /// Certificates issued by (or equal to) one in this PEM file.
    CertFile(PathBuf),
    /// Exactly this certificate, whatever names it holds (a client in the
    /// host's own process).
    Pinned(CertificateDer<'static>),
}

fn provider() -> Arc<CryptoProvider> {
    // See the host's web::tls: ring, without post-quantum key exchange.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for `trust`; an unreadable file is an error
/// naming it.
pub fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, String> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match trust {
        Trust::Public => {
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::CertFile(path) => builder.with_root_certificates(roots_from(path)?).with_no_client_auth(),
        Trust::Pinned(cert) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { cert: cert.clone(), provider: provider() }))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn roots_from(path: &Path) -> Result<rustls::RootCertStore, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read the certificate file {}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it (expected -----BEGIN CERTIFICATE-----)", path.display()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| format!("{}: a certificate that cannot be trusted: {e}", path.display()))?;
    }
    Ok(roots)
}

/// Accepts one certificate, byte for byte, and checks the handshake's
/// signatures against it as any verifier would.
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the host's certificate".to_string()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A server address as a user may paste it: `ws(s)://HOST:PORT`, or a join
/// link or portal address `http(s)://HOST:PORT/#join=TOKEN`. Returns the
/// websocket URL and the token the link carries, if any.
pub fn parse_server(text: &str) -> Result<(String, Option<String>), String> {
    let text = text.trim();
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("{text:?}: expected ws://HOST:PORT, wss://HOST:PORT or a join link"))?;
    let ws = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => return Err(format!("{text:?}: unknown scheme {other:?} (expected ws, wss, http or https)")),
    };
    let (address, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    let host = address.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("{text:?}: no host"));
    }
    let token = match fragment {
        Some(f) => match f.strip_prefix("join=") {
            Some(token) if !token.is_empty() => Some(token.to_string()),
            _ => return Err(format!("{text:?}: expected #join=TOKEN after the address")),
        },
        None => None,
    };
    Ok((format!("{ws}://{host}"), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_links_and_portal_addresses_become_websocket_addresses() {
        assert_eq!(parse_server("ws://h:1").unwrap(), ("ws://h:1".to_string(), None));
        assert_eq!(
            parse_server("https://ex.lan:8443/#join=abc").unwrap(),
            ("wss://ex.lan:8443".to_string(), Some("abc".to_string()))
        );
        assert_eq!(parse_server("http://[::1]:9/").unwrap(), ("ws://[::1]:9".to_string(), None));
        for bad in ["h:1", "ftp://h", "ws://", "http://h/#join=", "http://h/#other"] {
            assert!(parse_server(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unreadable_certificate_file_is_named() {
        let e = client_config(&Trust::CertFile("/nonexistent/ca.pem".into())).err().unwrap();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing").unwrap();
        let e = client_config(&Trust::CertFile(empty)).err().unwrap();
        assert!(e.contains("no certificate"), "{e}");
        assert!(client_config(&Trust::Public).is_ok());
    }
}
