//! Serving the router: TLS (rustls) in production, plain HTTP only on a
//! loopback listener.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;

/// How connections are secured.
pub enum Transport {
    /// TLS with this certificate chain and key.
    Tls(RustlsConfig),
    /// Plain HTTP; refused unless the listener is on loopback.
    PlainOnLoopback,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tls(_) => "Transport::Tls",
            Self::PlainOnLoopback => "Transport::PlainOnLoopback",
        })
    }
}

/// What can stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Plain HTTP was asked for on a non-loopback address.
    #[error("plain HTTP refused on {0}: only loopback may serve without TLS")]
    PlainHttpNotOnLoopback(SocketAddr),
    /// Socket or TLS files.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Transport {
    /// TLS from PEM files (certificate chain, private key).
    ///
    /// The TLS provider is named here (aws-lc-rs, the one the service's
    /// other cryptography uses) rather than taken from the process-wide
    /// default: a program that links this crate may have both of rustls'
    /// providers in its dependency graph, and then there is no default.
    pub async fn tls_from_pem_files(chain: &Path, key: &Path) -> std::io::Result<Self> {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid = |e: &dyn std::fmt::Display| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
        };
        let certificates = CertificateDer::pem_file_iter(chain)
            .map_err(|e| invalid(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(&e))?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid(&e))?;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .map_err(|e| invalid(&e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self::Tls(RustlsConfig::from_config(std::sync::Arc::new(
            config,
        ))))
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: std::net::TcpListener,
    transport: Transport,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    match transport {
        Transport::PlainOnLoopback => {
            if !addr.ip().is_loopback() {
                return Err(ServeError::PlainHttpNotOnLoopback(addr));
            }
            tracing::warn!(%addr, "serving plain HTTP on loopback (tests only)");
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        Transport::Tls(config) => {
            tracing::info!(%addr, "serving HTTPS");
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            });
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(router.into_make_service())
                .await?;
        }
    }
    Ok(())
}
