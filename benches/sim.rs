//! Simulator benchmark (prints figures; not a timed test): org generation time and memory for
//! 10 000 and 100 000 users, and pages served per second on loopback.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use okta_sim::{self as sim, gen, Faults, SimConfig, Sizes};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The `rel="next"` target of a response's Link headers.
fn next_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("rel=\"next\""))
        .map(|v| v[1..v.find('>').unwrap_or(1)].to_string())
}

fn main() {
    for users in [10_000usize, 100_000] {
        let before = rss_mb();
        let t = Instant::now();
        let org = gen::generate(
            1,
            Sizes { users, groups: users / 50, apps: 50, devices: users / 5, log_events: users / 2, ..Sizes::default() },
            chrono::Utc::now(),
        );
        let took = t.elapsed();
        println!("generate {users:>6} users: {:>6.2} s, {:>6.0} MB resident for the org", took.as_secs_f64(), rss_mb() - before);
        drop(org);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let cfg = SimConfig {
            sizes: Sizes { users: 10_000, groups: 200, apps: 20, devices: 2000, log_events: 5000, ..Sizes::default() },
            faults: Faults { rate_limit_per_min: Some(u64::MAX / 2), ..Faults::default() },
            ..SimConfig::default()
        };
        let h = sim::start(cfg).await.expect("simulator");
        // A cold pass first: one client walks all 50 pages, every user rendered for the first time.
        let t = Instant::now();
        let client = reqwest::Client::new();
        let mut url = format!("{}/api/v1/users?limit=200", h.base_url);
        let mut cold = 0;
        loop {
            let r = client.get(&url).header("authorization", "SSWS sim-token").send().await.expect("page");
            let next = next_of(&r);
            let _ = r.bytes().await;
            cold += 1;
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        println!(
            "cold pass, one client: {cold} pages of 200 users in {:.3} s: {:.0} pages/s",
            t.elapsed().as_secs_f64(),
            cold as f64 / t.elapsed().as_secs_f64()
        );
        let pages = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(5);
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (client, pages, base) = (client.clone(), pages.clone(), h.base_url.clone());
                tokio::spawn(async move {
                    // Walk the whole list by its next links, again and again.
                    let first = format!("{base}/api/v1/users?limit=200");
                    let mut url = first.clone();
                    while Instant::now() < deadline {
                        let Ok(r) = client.get(&url).header("authorization", "SSWS sim-token").send().await else { continue };
                        let next = next_of(&r);
                        let _ = r.bytes().await;
                        pages.fetch_add(1, Ordering::Relaxed);
                        url = next.unwrap_or_else(|| first.clone());
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        let n = pages.load(Ordering::Relaxed);
        println!(
            "16 clients walking the list: {n} pages of 200 users in 5 s: {:.0} pages/s (client and server share 2 cores)",
            n as f64 / 5.0
        );
        let t = Instant::now();
        let mut n = 0;
        while t.elapsed() < Duration::from_secs(3) {
            let _ = client
                .get(format!("{}/api/v1/groups?limit=20", h.base_url))
                .header("authorization", "SSWS sim-token")
                .send()
                .await
                .map(|r| r.status());
            n += 1;
        }
        println!("small pages (20 groups), one client: {:.0} pages/s", n as f64 / 3.0);
    });
}
