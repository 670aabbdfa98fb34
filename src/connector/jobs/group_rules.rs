//! Group rules, listed whole every sync (a page of 200 rules a call). Okta's Event Types
//! catalogue has no event for a rule's creation, change or deletion (only
//! `group.user_membership.rule.*`: triggers, evaluations, errors, exclusions), so the System
//! Log cannot drive them; the round's end tells a deleted rule by the whole listing.

use super::{walk_list, JobCtx, JobFail, SkipReason};
use crate::connector::state::{JobState, ListPos, Mode};
use crate::extract::group_rules::group_rule;
use crate::okta::endpoints::sign_in_config::{group_rules, not_available};

/// Extracts (or resumes) the group rules.
pub async fn extract(ctx: &JobCtx, st: &mut JobState<ListPos>) -> Result<(), JobFail> {
    st.mode = Mode::Full;
    let links = ctx.links.clone();
    let r = walk_list(
        ctx,
        st,
        group_rules(&ctx.client),
        |p| &mut p.cursor,
        |_, items| vec![("group_rules", items.iter().filter_map(|r| group_rule(r, &links)).collect())],
    )
    .await;
    match r {
        Err(JobFail::Okta(e)) if not_available(&e) => Err(JobFail::Skip(SkipReason::NotAvailable(e))),
        other => other,
    }
}
