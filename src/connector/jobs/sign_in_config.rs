//! The org's sign-in configuration: authenticators, network zones, identity providers and
//! trusted origins, each listed whole every sync (a call or two each). A family the token may
//! not read, or the org does not have (a Classic Engine org has no authenticators API), is
//! skipped on its own while the others go on; the job is skipped only when every family it
//! was asked for is.

use serde_json::Value;

use super::{walk_list, JobCtx, JobFail, SkipReason};
use crate::connector::state::{ConfigPos, JobState, Mode};
use crate::extract::{sign_in_config as normalize, AdminLinks};
use crate::okta::endpoints::sign_in_config::{not_available, Family};

fn records(family: Family, items: &[Value], links: &AdminLinks) -> Vec<Value> {
    let f = match family {
        Family::Authenticators => normalize::authenticator,
        Family::NetworkZones => normalize::network_zone,
        Family::IdentityProviders => normalize::identity_provider,
        Family::TrustedOrigins => normalize::trusted_origin,
    };
    items.iter().filter_map(|v| f(v, links)).collect()
}

/// Extracts (or resumes) the sign-in configuration, family by family.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<ConfigPos>) -> Result<(), JobFail> {
    st.mode = Mode::Full;
    let links = ctx.links.clone();
    let mut last_skip = None;
    while let Some(family) = Family::ALL.get(st.pos.family).copied() {
        let t = family.item_type();
        if ctx.wants(t) {
            let r = walk_list(ctx, st, family.list(&ctx.client), |p| &mut p.cursor, |_, items| vec![(t, records(family, &items, &links))])
                .await;
            let skip = match r {
                Ok(()) => None,
                Err(JobFail::Skip(reason)) => Some(reason),
                Err(JobFail::Okta(e)) if not_available(&e) => Some(SkipReason::NotAvailable(e)),
                Err(e) => return Err(e),
            };
            if let Some(reason) = skip {
                tracing::warn!(item_type = t, %reason, "skipped; the other sign-in settings go on");
                st.skipped.insert(t.to_string(), reason.to_string());
                last_skip = Some(reason);
            }
        }
        st.pos = ConfigPos { family: st.pos.family + 1, cursor: None };
        ctx.save(st).await?;
    }
    let asked = Family::ALL.iter().filter(|f| ctx.wants(f.item_type())).count();
    match last_skip {
        Some(reason) if st.skipped.len() >= asked => Err(JobFail::Skip(reason)),
        _ => Ok(()),
    }
}
