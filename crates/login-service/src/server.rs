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
    pub async fn tls_from_pem_files(chain: &Path, key: &Path) -> std::io::Result<Self> {
        Ok(Self::Tls(
            RustlsConfig::from_pem_chain_file(chain, key).await?,
        ))
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
