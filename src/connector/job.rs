//! The eleven extraction jobs, as a type: names, item types and state keys in one place.

/// One extraction job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// Users (every status).
    Users,
    /// Groups and their members.
    Groups,
    /// IAM roles and role assignments.
    Roles,
    /// Applications and their user and group assignments.
    Apps,
    /// Policies with their rules.
    Policies,
    /// System Log events.
    SystemLogs,
    /// Devices.
    Devices,
    /// MFA factors.
    Factors,
    /// Identity Engine authenticator enrollments.
    AuthenticatorEnrollments,
    /// Group rules.
    GroupRules,
    /// The org's sign-in configuration: authenticators, network zones, identity providers,
    /// trusted origins.
    SignInConfig,
}

impl Job {
    /// Every job, in the order they are reported.
    pub const ALL: [Job; 11] = [
        Job::Users,
        Job::Groups,
        Job::Roles,
        Job::Apps,
        Job::Policies,
        Job::SystemLogs,
        Job::Devices,
        Job::Factors,
        Job::AuthenticatorEnrollments,
        Job::GroupRules,
        Job::SignInConfig,
    ];

    /// The job's name: its state key suffix, client label and log field.
    pub const fn name(self) -> &'static str {
        match self {
            Job::Users => "users",
            Job::Groups => "groups",
            Job::Roles => "roles",
            Job::Apps => "apps",
            Job::Policies => "policies",
            Job::SystemLogs => "system_logs",
            Job::Devices => "devices",
            Job::Factors => "factors",
            Job::AuthenticatorEnrollments => "authenticator_enrollments",
            Job::GroupRules => "group_rules",
            Job::SignInConfig => "sign_in_config",
        }
    }

    /// The item types the job produces.
    pub const fn item_types(self) -> &'static [&'static str] {
        match self {
            Job::Users => &["users"],
            Job::Groups => &["groups", "group_members"],
            Job::Roles => &["iam_roles", "iam_role_members"],
            Job::Apps => &["applications", "app_user_assignments", "app_group_assignments"],
            Job::Policies => &["policies"],
            Job::SystemLogs => &["system_logs", "app_sign_ins"],
            Job::Devices => &["devices"],
            Job::Factors => &["factors"],
            Job::AuthenticatorEnrollments => &["authenticator_enrollments"],
            Job::GroupRules => &["group_rules"],
            Job::SignInConfig => &["authenticators", "network_zones", "identity_providers", "trusted_origins"],
        }
    }

    /// The job's key in the connector state.
    pub fn state_key(self) -> String {
        format!("{}{}", super::state::keys::JOB_PREFIX, self.name())
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The jobs with the item types each produces, for reports.
#[allow(clippy::indexing_slicing)] // evaluated at compile time: an index out of bounds fails the build
pub const JOBS: [(&str, &[&str]); 11] = {
    let mut out: [(&str, &[&str]); 11] = [("", &[]); 11];
    let mut i = 0;
    while i < Job::ALL.len() {
        out[i] = (Job::ALL[i].name(), Job::ALL[i].item_types());
        i += 1;
    }
    out
};
