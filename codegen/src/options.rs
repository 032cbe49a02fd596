//! The options of [`generate`](crate::generate), and their check: every
//! option that names a Rust path is parsed before anything runs.

use crate::error::CodegenError;

/// Options for [`generate`](crate::generate).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Also emit typed `httpmock` extensions (progenitor's
    /// `Generator::httpmock`) as a `mock` module next to `types`. The crate
    /// that compiles the code then needs `httpmock` 0.9 and `regex` 1.
    /// Path parameters are matched as the client sends them:
    /// percent-encoded, and literally rather than as a regular expression.
    pub httpmock: bool,
    /// Rust path of a per-client state type (progenitor's `inner_type`):
    /// the generated `Client` then carries a value of it, available to
    /// `ClientHooks` through `ClientInfo::inner`.
    pub inner_type: Option<String>,
    /// Rust path of the error type every `send()` returns instead of
    /// `progenitor_client::Error<E>` (one `E` per operation). The type must
    /// have an associated function
    /// `from_operation(error: progenitor_client::Error<E>, inner: &Inner, operation: &'static str, expected: &'static str) -> Self`
    /// for every error body type `E` of the spec, where `Inner` is the
    /// [`inner_type`](Self::inner_type) (or `()`) and `expected` the
    /// operation's documented success statuses (`"200"`, `"200 or 201"`,
    /// `"2XX"`; empty if none), for an answer with a success status it does
    /// not document.
    pub error_type: Option<String>,
    /// Doc comment of the generated `Client` (progenitor's default names the
    /// spec's `info.title` and `info.version`).
    pub client_doc: Option<String>,
    /// Rust path of the module that sends form bodies (`multipart/form-data`,
    /// `application/x-www-form-urlencoded`): it must provide `FilePart`,
    /// `Progress`, `Form` (`multipart()`, `urlencoded()`, `fields(&T)`,
    /// `files(name, Vec<FilePart>)`, `with_progress(Option<Progress>)`) and
    /// `async fn attach(&mut reqwest::Request, Form) -> Result<(), String>`,
    /// as `ionworks::upload` does. Without it, form operations are left out
    /// (and reported).
    pub form_support: Option<String>,
    /// Gate each operation, and the types only its tag's operations reach,
    /// behind the cargo feature `<prefix><tag in kebab case>` (see
    /// [`tag_features`](crate::tag_features)); `None` generates everything unconditionally.
    pub tag_features: Option<String>,
    /// Give every public item the spec leaves undocumented a doc line made
    /// from what the code knows (a field's wire name, a variant's wire
    /// value, a parameter's description), and drop progenitor's leftovers
    /// (an empty `types::defaults`, `send()`'s links to
    /// `Error::ErrorResponse`); see `codegen/src/syntax/describe.rs`.
    pub describe_all: bool,
    /// Rust path of the module that walks a list across its pages: with it,
    /// the builder of every operation paged by `limit` and `offset` (or
    /// `skip`) whose answer holds a `Vec` of items (`items`, `pipelines`,
    /// `simulations` or `optimizations`, with an optional `total`) gets
    /// `stream()` and `collect_all()`. The module must provide
    /// `DEFAULT_PAGE_SIZE: i64`, `Page::new(Vec<T>, impl Into<Option<i64>>)`
    /// and `Pages::new(start, page_size, fetch)` with an async
    /// `collect_all()`, as `ionworks::pages` does.
    pub pages: Option<String>,
    /// With [`tag_features`](Self::tag_features): the features the crate is
    /// being built with. Only the operations of their tags (and untagged
    /// ones) are generated, and only the schemas those reach (plus the
    /// schemas no operation reaches); names are chosen on the whole
    /// document first, so a method's name never depends on the features.
    /// `None` generates every tag, each behind its `cfg`.
    pub only_features: Option<std::collections::BTreeSet<String>>,
    /// Leave out the builders (`types::builder::X`, `X::builder()`) of the
    /// types that only answers reach: what no request needs (see
    /// `codegen/src/syntax/builders.rs`). The `ionworks` crate's build does
    /// so unless its `response-builders` feature is on.
    pub request_builders_only: bool,
    /// Wire names of fields that hold credentials: the `Debug` of a
    /// generated type (and of its builder) with such a field shows
    /// `<redacted>` in its place; see `codegen/src/syntax/redact.rs`.
    pub secret_fields: std::collections::BTreeSet<String>,
    /// Wire names of fields that hold signed URLs (the signature, a
    /// credential, in the query): `Debug` shows them up to the query.
    pub signed_url_fields: std::collections::BTreeSet<String>,
    /// Keep every `send()` future small: answers are decoded by the support
    /// module (`types::__support::from_response` and `stream`: the same
    /// results and errors as progenitor-client's, the headers moved rather
    /// than copied, a body the `exec` hook already read taken from the
    /// response's extensions as `__support::ReadBody`), and the calls of
    /// the `pre` and `post` hooks are left out: the client must not
    /// implement those. The generated crate needs `bytes` and
    /// `futures-core`.
    pub lean_responses: bool,
}

/// The prefix of the cargo feature of each tag in the `ionworks` crate
/// (`api-jobs`, `api-cell-specifications`, …).
pub const SDK_FEATURE_PREFIX: &str = "api-";

/// The fields [`Options::facade`] redacts: credentials as APIs name them
/// (the Ionworks API's temporary S3 credentials and upload token among
/// them).
const SECRET_FIELDS: [&str; 10] = [
    "access_token",
    "api_key",
    "client_secret",
    "password",
    "private_key",
    "refresh_token",
    "secret",
    "secret_access_key",
    "session_token",
    "token",
];

/// The signed-URL fields [`Options::facade`] shows without their query.
const SIGNED_URL_FIELDS: [&str; 4] = ["download_url", "signed_url", "upload_url", "url"];

/// The doc comment of the `ionworks` crate's generated `Client`.
const SDK_CLIENT_DOC: &str = "The Ionworks API client: one method per operation, each returning a \
request builder that ends in `send()`.

Made by [`Client::from_env`] or [`Client::builder`]; cheap to clone (clones \
share one connection pool).";

impl Options {
    /// Generated code that calls the `ionworks` facade at the Rust path
    /// `facade` (`crate` inside the `ionworks` crate, `ionworks` from another
    /// crate): every `send()` returns `{facade}::ApiError`, forms go through
    /// `{facade}::upload`, every public item is documented and credentials
    /// (`token`, `secret_access_key`, `signed_url`, …) are redacted from
    /// `Debug`, and every `send()` future is kept small
    /// ([`lean_responses`](Self::lean_responses): the crate needs `bytes` and
    /// `futures-core`). What the facade provides for this is listed on
    /// [`error_type`](Self::error_type) and
    /// [`form_support`](Self::form_support).
    pub fn facade(facade: &str) -> Options {
        Options::default()
            .error_type(format!("{facade}::ApiError"))
            .form_support(format!("{facade}::upload"))
            .describe_all(true)
            .secret_fields(SECRET_FIELDS)
            .signed_url_fields(SIGNED_URL_FIELDS)
            .lean_responses(true)
    }

    /// The settings of the `ionworks` crate's own client, as its `build.rs`
    /// uses them (it adds [`httpmock`](Self::httpmock) with the `mocks`
    /// feature): [`facade`](Self::facade)`("crate")`, the client's state
    /// `crate::ClientState`, a cargo feature per tag
    /// ([`SDK_FEATURE_PREFIX`]), the client's doc comment and a stream of
    /// every list ([`pages`](Self::pages)`("crate::pages")`).
    pub fn sdk() -> Options {
        Options::facade("crate")
            .inner_type("crate::ClientState")
            .tag_features(SDK_FEATURE_PREFIX)
            .client_doc(SDK_CLIENT_DOC)
            .pages("crate::pages")
    }

    /// Keep progenitor's `progenitor_client::Error<E>` (one `E` per
    /// operation) instead of the [`error_type`](Self::error_type): the API
    /// surface shows each operation's error body this way.
    pub fn with_operation_errors(mut self) -> Self {
        self.error_type = None;
        self
    }

    /// Keep every `send()` future small (see the field).
    pub fn lean_responses(mut self, on: bool) -> Self {
        self.lean_responses = on;
        self
    }

    /// Enable or disable the `mock` module.
    pub fn httpmock(mut self, on: bool) -> Self {
        self.httpmock = on;
        self
    }

    /// Give the generated `Client` a per-client state of type `path` (e.g. `crate::Inner`).
    pub fn inner_type(mut self, path: impl Into<String>) -> Self {
        self.inner_type = Some(path.into());
        self
    }

    /// Make every `send()` return the error type at `path` (e.g. `crate::Error`).
    pub fn error_type(mut self, path: impl Into<String>) -> Self {
        self.error_type = Some(path.into());
        self
    }

    /// Replace the doc comment of the generated `Client`.
    pub fn client_doc(mut self, doc: impl Into<String>) -> Self {
        self.client_doc = Some(doc.into());
        self
    }

    /// One cargo feature per tag, named `prefix` + the tag (e.g. `api-jobs`).
    pub fn tag_features(mut self, prefix: impl Into<String>) -> Self {
        self.tag_features = Some(prefix.into());
        self
    }

    /// Document every public item (see [`describe_all`](Self::describe_all)).
    pub fn describe_all(mut self, on: bool) -> Self {
        self.describe_all = on;
        self
    }

    /// Give every list operation's builder `stream()` and `collect_all()`,
    /// paged by the module at `path` (e.g. `crate::pages`; see
    /// [`pages`](Self::pages)).
    pub fn pages(mut self, path: impl Into<String>) -> Self {
        self.pages = Some(path.into());
        self
    }

    /// Generate only what `features` compile (see
    /// [`only_features`](Self::only_features)); a build script passes the
    /// `CARGO_FEATURE_*` it was run with.
    pub fn only_features<I, S>(mut self, features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only_features = Some(features.into_iter().map(Into::into).collect());
        self
    }

    /// Generate builders only for the types requests reach (see
    /// [`request_builders_only`](Self::request_builders_only)).
    pub fn request_builders_only(mut self, on: bool) -> Self {
        self.request_builders_only = on;
        self
    }

    /// Redact the fields named `names` (wire names) from `Debug` (see
    /// [`secret_fields`](Self::secret_fields)).
    pub fn secret_fields<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secret_fields = names.into_iter().map(Into::into).collect();
        self
    }

    /// Show the fields named `names` (wire names) in `Debug` without their
    /// query (see [`signed_url_fields`](Self::signed_url_fields)).
    pub fn signed_url_fields<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.signed_url_fields = names.into_iter().map(Into::into).collect();
        self
    }

    /// Generate form operations, sent through the module at `path` (e.g.
    /// `crate::upload`; see [`form_support`](Self::form_support)).
    pub fn form_support(mut self, path: impl Into<String>) -> Self {
        self.form_support = Some(path.into());
        self
    }
}

/// [`Options`], checked before anything runs: every option that names a
/// Rust path, parsed (the others are read through `Deref`).
pub(crate) struct Checked<'a> {
    options: &'a Options,
    pub(crate) form_support: Option<syn::Path>,
    pub(crate) error_type: Option<syn::Path>,
    pub(crate) inner_type: Option<syn::Path>,
    pub(crate) pages: Option<syn::Path>,
}

impl std::ops::Deref for Checked<'_> {
    type Target = Options;

    fn deref(&self) -> &Options {
        self.options
    }
}

impl Options {
    /// The options, checked: an error names the first option that is not
    /// what it should be.
    pub(crate) fn check(&self) -> Result<Checked<'_>, CodegenError> {
        Ok(Checked {
            options: self,
            form_support: rust_path(self.form_support.as_deref(), "form_support")?,
            error_type: rust_path(self.error_type.as_deref(), "error_type")?,
            inner_type: rust_path(self.inner_type.as_deref(), "inner_type")?,
            pages: rust_path(self.pages.as_deref(), "pages")?,
        })
    }
}

/// An option that names a Rust path, parsed.
fn rust_path(path: Option<&str>, option: &str) -> Result<Option<syn::Path>, CodegenError> {
    path.map(|text| {
        syn::parse_str(text).map_err(|e| {
            CodegenError::new(
                "",
                "options",
                format!("{option} {text:?} is not a Rust path: {e}"),
            )
        })
    })
    .transpose()
}
