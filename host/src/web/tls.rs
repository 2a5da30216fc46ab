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

/// The largest certificate or key file read (a chain is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;

/// A PEM file's text, refusing what is not a regular file of a sane size
/// (`/dev/zero` would never end).
fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: the {what} file is not a regular file", path.display());
    }
    if meta.len() > MAX_PEM_BYTES {
        bail!("{}: the {what} file is larger than {} KiB", path.display(), MAX_PEM_BYTES / 1024);
    }
    std::fs::read(path).with_context(|| format!("cannot read the {what} file {}", path.display()))
}

/// Reads a PEM certificate chain and its private key.
pub fn load(cert_file: &Path, key_file: &Path) -> Result<Certificate> {
    let cert_pem = read_pem(cert_file, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", cert_file.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate in it (expected -----BEGIN CERTIFICATE-----)", cert_file.display());
    }
    let key_pem = read_pem(key_file, "key")?;
    if key_pem.windows(9).any(|w| w == b"ENCRYPTED") {
        bail!(
            "{}: the private key is encrypted (a passphrase): give the host an unencrypted copy, readable by it alone \
             (openssl pkey -in {} -out key.pem; chmod 600 key.pem)",
            key_file.display(),
            key_file.display()
        );
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).with_context(|| {
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
/// one for `names` (host names and addresses), valid from a day ago for a year,
/// written to `dir/cert.pem`, `dir/key.pem` (mode 0600) and `dir/names.txt`.
/// With a kept certificate, the names it lacks of `names` come back too (the
/// links now use an address it does not name: clients will refuse it).
pub fn self_signed(dir: &Path, names: &[String]) -> Result<(Certificate, Vec<String>)> {
    let cert_file = dir.join("cert.pem");
    let key_file = dir.join("key.pem");
    let names_file = dir.join("names.txt");
    if cert_file.exists() && key_file.exists() {
        let certificate = load(&cert_file, &key_file)?;
        let named: Vec<String> =
            std::fs::read_to_string(&names_file).unwrap_or_default().lines().map(str::to_string).collect();
        let missing = names.iter().filter(|n| !named.contains(n)).cloned().collect();
        return Ok((certificate, missing));
    }
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .with_context(|| format!("cannot make a certificate for {}", names.join(", ")))?;
    let now = std::time::SystemTime::now();
    params.not_before = (now - std::time::Duration::from_secs(24 * 3600)).into();
    params.not_after = (now + std::time::Duration::from_secs(366 * 24 * 3600)).into();
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("Cascade exercise host {}", names[0]));
    let key = rcgen::KeyPair::generate().context("cannot make a key")?;
    let cert =
        params.self_signed(&key).with_context(|| format!("cannot make a certificate for {}", names.join(", ")))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&cert_file, cert.pem()).with_context(|| format!("cannot write {}", cert_file.display()))?;
    write_private(&key_file, key.serialize_pem().as_bytes())?;
    std::fs::write(&names_file, names.join("\n") + "\n")
        .with_context(|| format!("cannot write {}", names_file.display()))?;
    let mut certificate = load(&cert_file, &key_file)?;
    certificate.generated = true;
    Ok((certificate, Vec::new()))
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
        let (first, missing) = self_signed(&tls, &names).unwrap();
        assert!(first.generated && missing.is_empty());
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let (again, missing) = self_signed(&tls, &names).unwrap();
        assert!(!again.generated && missing.is_empty());
        assert_eq!(again.fingerprint, first.fingerprint);
        // Kept for other names: it says which it lacks.
        let moved = vec!["exercise.lan".to_string(), "localhost".to_string()];
        let (kept, missing) = self_signed(&tls, &moved).unwrap();
        assert_eq!((kept.fingerprint, missing), (first.fingerprint.clone(), vec!["exercise.lan".to_string()]));
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
        let (good, _) = self_signed(&dir.path().join("t"), &["localhost".to_string()]).unwrap();
        let e = format!("{:#}", load(&good.cert_file, &key).err().unwrap());
        assert!(e.contains("k.pem") && e.contains("no private key"), "{e}");
        let e = format!("{:#}", load(&dir.path().join("missing.pem"), &key).err().unwrap());
        assert!(e.contains("missing.pem"), "{e}");
        let e = format!("{:#}", load(Path::new("/dev/zero"), &key).err().unwrap());
        assert!(e.contains("not a regular file"), "{e}");
        let e = format!("{:#}", load(dir.path(), &key).err().unwrap());
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::write(&key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
            .unwrap();
        let e = format!("{:#}", load(&good.cert_file, &key).err().unwrap());
        assert!(e.contains("encrypted"), "{e}");
    }

    #[test]
    fn the_fingerprint_is_sha256_as_openssl_prints_it() {
        // echo -n abc | sha256sum
        assert!(fingerprint(b"abc").starts_with("BA:78:16:BF:8F:01:CF:EA"));
    }
}
