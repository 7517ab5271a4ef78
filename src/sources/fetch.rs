//! Fetching with caps: a hostile or broken site costs at most one bounded request.

use std::time::Duration;

use reqwest::{StatusCode, header};

use super::guard::{AddressGuard, Refusal, guarded_client};

/// Bodies are counted while they are read, whatever Content-Length claims.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REDIRECTS: usize = 5;

/// The validators of a previous answer, for a conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub final_url: String,
    pub content_type: Option<String>,
    pub validators: Validators,
}

impl Fetched {
    /// The body as text, decoded with the charset the server named (UTF-8 otherwise).
    pub fn text(&self) -> String {
        self.charset().unwrap_or(encoding_rs::UTF_8).decode(&self.body).0.into_owned()
    }

    /// The body as a feed parser should see it: as sent when the XML declares its own encoding
    /// or the server named none, else transcoded to UTF-8 from the server's charset (old CMSs
    /// send Windows-1252 with only a Content-Type header to say so).
    pub fn feed_body(&self) -> std::borrow::Cow<'_, [u8]> {
        let prolog = &self.body[..self.body.len().min(256)];
        let declares_encoding =
            prolog.starts_with(b"<?xml") && prolog.windows(9).any(|w| w.eq_ignore_ascii_case(b"encoding="));
        match self.charset() {
            Some(encoding) if encoding != encoding_rs::UTF_8 && !declares_encoding => {
                std::borrow::Cow::Owned(encoding.decode(&self.body).0.into_owned().into_bytes())
            }
            _ => std::borrow::Cow::Borrowed(&self.body),
        }
    }

    fn charset(&self) -> Option<&'static encoding_rs::Encoding> {
        let content_type = self.content_type.as_deref()?;
        let label = content_type.split(';').find_map(|part| part.trim().strip_prefix("charset="))?;
        encoding_rs::Encoding::for_label(label.trim_matches('"').as_bytes())
    }
}

/// Why a fetch failed; the message is shown to operators as the source's last error.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the server answered HTTP {0}")]
    Status(StatusCode),
    #[error("the body is larger than {} MiB", MAX_BODY_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
}

/// An HTTP client with kabar's caps.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    guard: AddressGuard,
}

impl Default for Fetcher {
    /// A fetcher with the default address policy (see [`crate::config::FetchSettings`]).
    fn default() -> Self {
        Fetcher::new(AddressGuard::from(&crate::config::FetchSettings::default()))
    }
}

/// What a conditional GET found.
#[derive(Debug)]
pub enum FetchOutcome {
    NotModified,
    Fetched(Fetched),
}

impl Fetcher {
    /// A fetcher that reaches only the addresses `guard` allows.
    pub fn new(guard: AddressGuard) -> Fetcher {
        let client = guarded_client(guard, MAX_REDIRECTS)
            .user_agent(concat!("kabar/", env!("CARGO_PKG_VERSION"), " (news broadcast bot)"))
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("the HTTP client builds");
        Fetcher { client, guard }
    }

    /// Whether kabar may fetch `url`, or hand it to a chat platform: see
    /// [`AddressGuard::check_url`].
    pub async fn check_url(&self, url: &str) -> Result<url::Url, Refusal> {
        self.guard.check_url(url).await
    }

    /// `url` when it passes [`Fetcher::check_url`]. A refused one is logged and dropped, so that
    /// the story goes out without that `part` (its photo, its link) rather than not at all.
    pub async fn keep_if_allowed(&self, url: Option<String>, part: &'static str) -> Option<String> {
        match self.check_url(url.as_deref()?).await {
            Ok(_) => url,
            Err(refusal) => {
                tracing::warn!(part, %refusal, "a URL from outside was refused; the story goes out without it");
                None
            }
        }
    }

    /// GET `url`, conditional on `validators` when given.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<FetchOutcome, FetchError> {
        let mut request = self.client.get(self.check_url(url).await?);
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, last_modified);
        }
        let mut response = request.send().await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let header_text =
            |name| response.headers().get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_owned);
        let validators =
            Validators { etag: header_text(header::ETAG), last_modified: header_text(header::LAST_MODIFIED) };
        let content_type = header_text(header::CONTENT_TYPE);
        let final_url = response.url().to_string();
        if response.content_length().is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(Fetched { body, final_url, content_type, validators }))
    }

    /// GET `url` unconditionally.
    pub async fn get_page(&self, url: &str) -> Result<Fetched, FetchError> {
        match self.get(url, &Validators::default()).await? {
            FetchOutcome::Fetched(fetched) => Ok(fetched),
            FetchOutcome::NotModified => Err(FetchError::Status(StatusCode::NOT_MODIFIED)),
        }
    }
}
