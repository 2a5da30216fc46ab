//! The host's certificate: read from PEM files (`--tls-cert`, `--tls-key`),
//! or made for an exercise network (`--tls-self-signed`) and kept beside the
//! journal so that a resumed exercise shows players the same fingerprint.
//! rustls with the ring provider; TLS 1.2 and 1.3.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its key, ready to serve.
pub struct Certificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// SHA-256 of the first certificate, as browsers show it (`AB:CD:…`).
    pub fingerprint: String,
    /// The PEM file players may be given (`cascade play --ca-cert FILE`).
    pub cert_file: PathBuf,
    /// Whether it was made by this host (`--tls-self-signed`) just now.
    pub generated: bool,
}

/// `<journal>.tls`: where `--tls-self-signed` keeps its certificate.
pub fn dir_beside(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".tls");
    PathBuf::from(name)
}

/// Reads a PEM certificate chain and its private key.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<Certificate> {
    let chain = CertificateDer::pem_file_iter(cert_file)
        .with_context(|| format!("cannot read the certificate file {}", cert_file.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", cert_file.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate in it (expected -----BEGIN CERTIFICATE-----)", cert_file.display());
    }
    let key = PrivateKeyDer::from_pem_file(key_file).with_context(|| {
        format!(
            "{}: no private key read from it (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)",
            key_file.display()
        )
    })?;
    let fingerprint = fingerprint(&chain[0]);
    let certificate = Certificate { chain, key, fingerprint, cert_file: cert_file.to_path_buf(), generated: false };
    // Fail now, naming the files, rather than at the first connection.
    server_config(&certificate).with_context(|| {
        format!("{} and {} do not make a usable certificate", cert_file.display(), key_file.display())
    })?;
    Ok(certificate)
}

/// The certificate of `--tls-self-signed`: the one in `dir` if an earlier run
/// made it (a resumed or restarted exercise keeps its fingerprint), else a new
/// one for `names` (host names and addresses), written to `dir/cert.pem` and
/// `dir/key.pem` (mode 0600).
pub fn self_signed(dir: &Path, names: &[String]) -> Result<Certificate> {
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    if cert_file.exists() && key_file.exists() {
        return load(&cert_file, &key_file);
    }
    let made = rcgen::generate_simple_self_signed(names.to_vec())
        .with_context(|| format!("cannot make a certificate for {}", names.join(", ")))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&cert_file, made.cert.pem()).with_context(|| format!("cannot write {}", cert_file.display()))?;
    write_private(&key_file, made.signing_key.serialize_pem().as_bytes())?;
    let mut certificate = load(&cert_file, &key_file)?;
    certificate.generated = true;
    Ok(certificate)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The rustls server configuration for `certificate` (HTTP/1.1 only: the
/// websocket upgrade needs it).
pub fn server_config(certificate: &Certificate) -> Result<rustls::ServerConfig> {
    // ring has no post-quantum key exchange (rustls 0.23.48 deprecates its
    // provider for that); aws-lc-rs has, at the price of a long C build on
    // every CI run. An exercise's tokens live for days, not decades: ring.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certificate.chain.clone(), certificate.key.clone_key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The acceptor the listener hands every connection.
pub fn acceptor(certificate: &Certificate) -> Result<tokio_rustls::TlsAcceptor> {
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server_config(certificate)?)))
}

/// SHA-256 of a DER certificate, upper-case hex bytes joined by colons, the
/// way browsers' certificate viewers and `openssl x509 -fingerprint -sha256`
/// show it.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("x.jsonl.tls");
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let first = self_signed(&tls, &names).unwrap();
        assert!(first.generated);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let again = self_signed(&tls, &names).unwrap();
        assert!(!again.generated);
        assert_eq!(again.fingerprint, first.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(tls.join("key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let e = format!("{:#}", load(&cert, &key).err().unwrap());
        assert!(e.contains("c.pem") && e.contains("no certificate"), "{e}");
        let good = self_signed(&dir.path().join("t"), &["localhost".to_string()]).unwrap();
        let e = format!("{:#}", load(&good.cert_file, &key).err().unwrap());
        assert!(e.contains("k.pem") && e.contains("no private key"), "{e}");
        let e = format!("{:#}", load(&dir.path().join("missing.pem"), &key).err().unwrap());
        assert!(e.contains("missing.pem"), "{e}");
    }

    #[test]
    fn the_fingerprint_is_sha256_as_openssl_prints_it() {
        // echo -n abc | sha256sum
        assert!(fingerprint(b"abc").starts_with("BA:78:16:BF:8F:01:CF:EA"));
    }
}
