//! The app's Prometheus series: what the rooms count (sign-ins, refreshes, revocations,
//! rate-limit refusals, password hashing) and what the edge measures (requests by route
//! template). One `Metrics` per app (managed state, and handed to the core's parts that count),
//! so two apps in one process, as in the tests, count apart. `metrics = false` makes it `off`:
//! every call below is then a branch on `None`.
//!
//! Recording is cheap on the hot paths: series whose labels are a fixed set are resolved once
//! (`refresh`, the histograms), the others are looked up by `&'static str` labels, no allocation.
//! `GET /metrics` (`monitoring.rs`) renders them in the text format.

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::AdHoc;

use crate::config::Settings;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Makes the app's `Metrics` from the validated settings (`metrics`), before the core that
/// counts through it.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Metrics", |rocket| async {
        let on = rocket.state::<Settings>().is_some_and(|s| s.metrics);
        rocket.manage(if on { Metrics::on() } else { Metrics::off() })
    })
}

/// How a presented refresh token ended (`auth_refreshes_total{result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshResult {
    /// The session's current token: a new pair.
    Rotated,
    /// The just-rotated token again from its own device within the grace window.
    Grace,
    /// An older token: the session was revoked as stolen.
    Reuse,
    /// The token or its session expired.
    Expired,
    /// Anything else: a bad signature, a revoked session, a deactivated user.
    Invalid,
}

impl RefreshResult {
    const ALL: [RefreshResult; 5] = [
        RefreshResult::Rotated,
        RefreshResult::Grace,
        RefreshResult::Reuse,
        RefreshResult::Expired,
        RefreshResult::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefreshResult::Rotated => "rotated",
            RefreshResult::Grace => "grace",
            RefreshResult::Reuse => "reuse",
            RefreshResult::Expired => "expired",
            RefreshResult::Invalid => "invalid",
        }
    }
}

/// Why sessions ended (`auth_sessions_revoked_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// Signed out on its own device.
    SignOut,
    /// Revoked by its user from another of their devices (one, or all the others).
    ByUser,
    /// A refresh token reused: revoked as stolen.
    Reuse,
    /// A password change or reset signed the other devices out.
    Password,
    /// By an administrator (console or command line), deactivation included.
    Admin,
    /// The account was deleted.
    AccountDeleted,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeReason::SignOut => "sign_out",
            RevokeReason::ByUser => "by_user",
            RevokeReason::Reuse => "reuse",
            RevokeReason::Password => "password",
            RevokeReason::Admin => "admin",
            RevokeReason::AccountDeleted => "account_deleted",
        }
    }
}

/// The `method` of a refused second step (a code or a passkey after the password): the session
/// it would have started has no method yet.
pub const SECOND_FACTOR: &str = "second_factor";

/// A sign-in's outcome (`auth_sign_ins_total{method,result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInResult {
    /// A session started.
    Succeeded,
    /// The first factor was right; the second is asked for.
    SecondFactorRequired,
    /// Refused: wrong password or code, a refused passkey, a deactivated account.
    Failed,
}

impl SignInResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInResult::Succeeded => "succeeded",
            SignInResult::SecondFactorRequired => "second_factor_required",
            SignInResult::Failed => "failed",
        }
    }
}

/// The series of one app; cheap to clone (they share one registry). `Default` is off.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Series>>);

struct Series {
    registry: Registry,
    sign_ins: IntCounterVec,
    refreshes: [IntCounter; 5],
    revoked: IntCounterVec,
    rate_limited: IntCounterVec,
    mails: IntCounterVec,
    mails_queued: IntGauge,
    hash_seconds: Histogram,
    hash_wait_seconds: Histogram,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    pool: IntGaugeVec,
}

/// Request latencies: 0.5 ms to 10 s (a claims route answers in well under 1 ms, a sign-in in
/// tens of ms, a slow database in seconds).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// argon2 takes tens of milliseconds; its queue is empty or a few hashes long.
const HASH_BUCKETS: &[f64] = &[
    0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

impl Metrics {
    /// Nothing counted, nothing rendered (`metrics = false`).
    pub fn off() -> Metrics {
        Metrics(None)
    }

    /// A registry of its own with every series at zero.
    pub fn on() -> Metrics {
        Metrics(Some(Arc::new(Series::new())))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub fn sign_in(&self, method: &str, result: SignInResult) {
        if let Some(s) = &self.0 {
            s.sign_ins
                .with_label_values(&[method, result.as_str()])
                .inc();
        }
    }

    pub fn refresh(&self, result: RefreshResult) {
        if let Some(s) = &self.0 {
            s.refreshes[result as usize].inc();
        }
    }

    /// `count` sessions ended for `reason` (nothing when 0).
    pub fn revoked(&self, reason: RevokeReason, count: u64) {
        if let (Some(s), 1..) = (&self.0, count) {
            s.revoked
                .with_label_values(&[reason.as_str()])
                .inc_by(count);
        }
    }

    /// A request refused by the limit named `limit` (`login_ip`, `refresh_ip`…).
    pub fn rate_limited(&self, limit: &str) {
        if let Some(s) = &self.0 {
            s.rate_limited.with_label_values(&[limit]).inc();
        }
    }

    /// One password hash or verification: how long it waited for a permit, then ran.
    pub fn password_hash(&self, waited: Duration, ran: Duration) {
        if let Some(s) = &self.0 {
            s.hash_wait_seconds.observe(waited.as_secs_f64());
            s.hash_seconds.observe(ran.as_secs_f64());
        }
    }

    /// One request answered: its route template (`/api/sessions/<id>`, never the raw path),
    /// its status code, and how long it took.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        if let Some(s) = &self.0 {
            s.requests
                .with_label_values(&[route, status_label(status)])
                .inc();
            s.request_seconds
                .with_label_values(&[route])
                .observe(took.as_secs_f64());
        }
    }

    /// The mail queue's own counts since start (sent, failed, waiting), copied in at a scrape.
    pub fn mail_counts(&self, sent: u64, failed: u64, queued: u64) {
        if let Some(s) = &self.0 {
            for (result, total) in [("sent", sent), ("failed", failed)] {
                let counter = s.mails.with_label_values(&[result]);
                counter.inc_by(total.saturating_sub(counter.get()));
            }
            s.mails_queued
                .set(i64::try_from(queued).unwrap_or(i64::MAX));
        }
    }

    /// The database pool now, at a scrape.
    pub fn pool(&self, in_use: u64, idle: u64) {
        if let Some(s) = &self.0 {
            for (state, count) in [("in_use", in_use), ("idle", idle)] {
                let count = i64::try_from(count).unwrap_or(i64::MAX);
                s.pool.with_label_values(&[state]).set(count);
            }
        }
    }

    /// Every series in the Prometheus text format; `None` when off.
    pub fn render(&self) -> Option<String> {
        let s = self.0.as_ref()?;
        match TextEncoder::new().encode_to_string(&s.registry.gather()) {
            Ok(text) => Some(text),
            Err(e) => {
                rocket::error!("metrics: cannot render: {e}");
                None
            }
        }
    }
}

impl Series {
    fn new() -> Series {
        let registry = Registry::new();
        let counters = |name: &str, help: &str, labels: &[&str]| {
            let series = IntCounterVec::new(Opts::new(name, help), labels).expect(VALID);
            registry.register(Box::new(series.clone())).expect(VALID);
            series
        };
        let sign_ins = counters(
            "auth_sign_ins_total",
            "Sign-ins by method and result",
            &["method", "result"],
        );
        let refreshes = counters(
            "auth_refreshes_total",
            "Presented refresh tokens by result",
            &["result"],
        );
        let revoked = counters(
            "auth_sessions_revoked_total",
            "Sessions ended, by reason",
            &["reason"],
        );
        let rate_limited = counters(
            "auth_rate_limited_total",
            "Requests refused by a rate limit, by limit",
            &["limit"],
        );
        let mails = counters(
            "auth_mails_total",
            "Mails delivered or given up after the last retry",
            &["result"],
        );
        let requests = counters(
            "http_requests_total",
            "Requests answered, by route template and status",
            &["route", "status"],
        );
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
            let series = Histogram::with_opts(opts).expect(VALID);
            registry.register(Box::new(series.clone())).expect(VALID);
            series
        };
        let hash_seconds = histogram(
            "auth_password_hash_seconds",
            "argon2 hash or verification time",
            HASH_BUCKETS,
        );
        let hash_wait_seconds = histogram(
            "auth_password_hash_queue_wait_seconds",
            "Time a password hash waited for a free hasher",
            HASH_BUCKETS,
        );
        let opts = HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer a request, by route template",
        )
        .buckets(LATENCY_BUCKETS.to_vec());
        let request_seconds = HistogramVec::new(opts, &["route"]).expect(VALID);
        registry
            .register(Box::new(request_seconds.clone()))
            .expect(VALID);
        let mails_queued = IntGauge::new(
            "auth_mails_queued",
            "Mails waiting in the queue or being sent",
        )
        .expect(VALID);
        registry
            .register(Box::new(mails_queued.clone()))
            .expect(VALID);
        let pool = IntGaugeVec::new(
            Opts::new("auth_db_pool_connections", "Database connections by state"),
            &["state"],
        )
        .expect(VALID);
        registry.register(Box::new(pool.clone())).expect(VALID);
        // Zero from the start, so a rate over them exists before the first event.
        let refreshes = RefreshResult::ALL.map(|r| refreshes.with_label_values(&[r.as_str()]));
        for result in ["sent", "failed"] {
            mails.with_label_values(&[result]);
        }
        Series {
            registry,
            sign_ins,
            refreshes,
            revoked,
            rate_limited,
            mails,
            mails_queued,
            hash_seconds,
            hash_wait_seconds,
            requests,
            request_seconds,
            pool,
        }
    }
}

const VALID: &str = "the series have distinct, valid names";

/// The status code as a label without formatting a string per request.
fn status_label(status: u16) -> &'static str {
    static LABELS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..600).map(|code| code.to_string()).collect());
    LABELS
        .get(usize::from(status))
        .map_or("other", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_counts_nothing_and_renders_nothing() {
        let metrics = Metrics::off();
        metrics.refresh(RefreshResult::Reuse);
        assert_eq!(metrics.render(), None);
    }

    #[test]
    fn each_refresh_result_is_its_own_series() {
        let metrics = Metrics::on();
        metrics.refresh(RefreshResult::Reuse);
        metrics.refresh(RefreshResult::Rotated);
        metrics.refresh(RefreshResult::Rotated);
        let text = metrics.render().expect("on");
        assert!(
            text.contains("auth_refreshes_total{result=\"rotated\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("auth_refreshes_total{result=\"reuse\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("auth_refreshes_total{result=\"grace\"} 0"),
            "{text}"
        );
    }

    #[test]
    fn mail_counts_follow_the_queue_totals() {
        let metrics = Metrics::on();
        metrics.mail_counts(3, 1, 2);
        metrics.mail_counts(5, 1, 0);
        let text = metrics.render().expect("on");
        assert!(
            text.contains("auth_mails_total{result=\"sent\"} 5"),
            "{text}"
        );
        assert!(
            text.contains("auth_mails_total{result=\"failed\"} 1"),
            "{text}"
        );
        assert!(text.contains("auth_mails_queued 0"), "{text}");
        assert_eq!(status_label(404), "404");
        assert_eq!(status_label(999), "other");
    }
}
