//! Latency summaries (nearest-rank percentiles over every sample, as the peer's harness does).

use std::time::Duration;

/// Summary of one latency series, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Samples.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Nearest-rank percentile of sorted samples.
fn rank(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len();
    let idx = ((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted.get(idx).copied().unwrap_or_default()
}

/// Summarise samples.
pub fn summarize(samples: &mut [Duration]) -> Summary {
    samples.sort_unstable();
    let count = samples.len();
    let total: Duration = samples.iter().sum();
    Summary {
        count,
        mean: if count == 0 {
            0.0
        } else {
            ms(total / u32::try_from(count).unwrap_or(u32::MAX))
        },
        p50: ms(rank(samples, 50.0)),
        p95: ms(rank(samples, 95.0)),
        p99: ms(rank(samples, 99.0)),
        max: ms(samples.last().copied().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = summarize(&mut v);
        assert_eq!(
            (s.count, s.p50, s.p95, s.p99, s.max),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(summarize(&mut []).p99, 0.0);
    }
}
