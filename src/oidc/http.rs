//! The HTTP client that talks to providers: discovery, keys and the token endpoint, nothing else.
//!
//! Small on purpose, on the hyper 1 and rustls that the app builds already (see docs/oidc.md for
//! why not reqwest or ureq): one HTTP/1.1 request per connection, **no redirects** (a discovery
//! document or a token endpoint cannot send the app to another host), one timeout over connect,
//! TLS, request and body, and a cap on the body. It sends what `openidconnect` hands it: the client
//! secret only ever goes to the token endpoint, in that request's `Authorization` header.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use crate::config::oidc::scheme_allowed;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
pub use openidconnect::{http, url};
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use rocket::tokio;
use rocket::tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName};
use tokio_rustls::TlsConnector;

/// Long enough for a slow provider, short enough that a sign-in page does not hang.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery documents and key sets are a few KiB; a token answer less.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Why a request to a provider got no answer.
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

fn failed(what: &str, err: impl std::fmt::Display) -> HttpError {
    HttpError(format!("{what}: {err}"))
}

#[derive(Clone)]
pub struct ProviderHttp {
    tls: TlsConnector,
    timeout: Duration,
}

impl Default for ProviderHttp {
    fn default() -> Self {
        Self::new(TIMEOUT)
    }
}

impl ProviderHttp {
    pub fn new(timeout: Duration) -> Self {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports rustls' default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        ProviderHttp {
            tls: TlsConnector::from(Arc::new(config)),
            timeout,
        }
    }

    /// One request, its answer as it came (a `3xx` is an answer, never followed).
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        tokio::time::timeout(self.timeout, self.exchange(request))
            .await
            .map_err(|_| HttpError(format!("no answer within {:?}", self.timeout)))?
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let url = url::Url::parse(&request.uri().to_string()).map_err(|e| failed("url", e))?;
        if !scheme_allowed(&url) {
            return Err(HttpError(format!("refused to fetch {url}: https only")));
        }
        let host = url.host_str().ok_or_else(|| HttpError("no host".into()))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| failed("connect", e))?;

        let (mut parts, body) = request.into_parts();
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        parts.uri = path.parse().map_err(|e| failed("path", e))?;
        let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let authority = authority.parse().map_err(|e| failed("host", e))?;
        parts.headers.insert(hyper::header::HOST, authority);
        let request = hyper::Request::from_parts(parts, Full::new(Bytes::from(body)));

        let response = if url.scheme() == "https" {
            let name = ServerName::try_from(host).map_err(|e| failed("server name", e))?;
            let tls = self.tls.connect(name, tcp).await;
            send_on(TokioIo::new(tls.map_err(|e| failed("tls", e))?), request).await?
        } else {
            send_on(TokioIo::new(tcp), request).await?
        };
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| failed("body", e))?
            .to_bytes();
        Ok(HttpResponse::from_parts(parts, body.to_vec()))
    }
}

async fn send_on<IO>(
    io: IO,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, HttpError>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| failed("handshake", e))?;
    // The connection task ends with the response body (or the timeout dropping the sender).
    tokio::spawn(connection);
    sender
        .send_request(request)
        .await
        .map_err(|e| failed("request", e))
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
