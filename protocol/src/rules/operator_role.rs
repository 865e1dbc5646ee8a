//! Back-office operators' roles and the depots they answer for: what a named
//! operator may see and do, decided here once for the server's API and the
//! later browser back office.

use serde::{Deserialize, Serialize};

/// What an operator account may do (an account holds one or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// Carrier IT: the fleet (devices, enrollment, revocation).
    CarrierIt,
    /// A depot manager, for the depots the account names: days, supervisors.
    DepotManager,
    /// A back-office agent: files claims, records a first decision, cancels
    /// orders before dispatch, reads the extraction.
    BackOffice,
    /// An approver: may give the second, confirming decision on a claim.
    Approver,
}

impl OperatorRole {
    /// Every role, in a stable order.
    pub const ALL: [OperatorRole; 4] = [
        OperatorRole::CarrierIt,
        OperatorRole::DepotManager,
        OperatorRole::BackOffice,
        OperatorRole::Approver,
    ];

    /// The wire and storage name (`carrier_it`, `depot_manager`, `back_office`, `approver`).
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::CarrierIt => "carrier_it",
            OperatorRole::DepotManager => "depot_manager",
            OperatorRole::BackOffice => "back_office",
            OperatorRole::Approver => "approver",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<OperatorRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Which depots an operator answers for: every depot (the escrow operator's
/// back office), or the ones named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepotScope {
    /// Every depot, and orders not yet given to any.
    All,
    /// Only these depots.
    Only(Vec<String>),
}

impl DepotScope {
    /// The scope of an account naming `depots` (none named: every depot).
    pub fn of(depots: &[String]) -> DepotScope {
        if depots.is_empty() {
            DepotScope::All
        } else {
            DepotScope::Only(depots.to_vec())
        }
    }

    /// Whether something of `depot` (none: not yet at any depot) is in scope.
    pub fn covers(&self, depot: Option<&str>) -> bool {
        match (self, depot) {
            (DepotScope::All, _) => true,
            (DepotScope::Only(ds), Some(d)) => ds.iter().any(|x| x == d),
            (DepotScope::Only(_), None) => false,
        }
    }
}

/// Why an account's roles and depots are refused at creation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountShapeError {
    /// No role at all.
    #[error(
        "an operator needs at least one role (carrier_it, depot_manager, back_office, approver)"
    )]
    NoRole,
    /// A depot manager must name the depots they manage.
    #[error("a depot manager account must name its depots (--depot)")]
    ManagerWithoutDepot,
}

/// Checks an account's roles and depots before it is created.
pub fn check_account(roles: &[OperatorRole], depots: &[String]) -> Result<(), AccountShapeError> {
    if roles.is_empty() {
        return Err(AccountShapeError::NoRole);
    }
    if roles.contains(&OperatorRole::DepotManager) && depots.is_empty() {
        return Err(AccountShapeError::ManagerWithoutDepot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_account_sees_its_depots_only_and_nothing_unassigned() {
        let scoped = DepotScope::of(&["Tunis-Nord".to_owned()]);
        assert!(scoped.covers(Some("Tunis-Nord")));
        assert!(!scoped.covers(Some("Sfax")));
        assert!(!scoped.covers(None));
        assert!(DepotScope::of(&[]).covers(Some("Sfax")));
        assert!(DepotScope::of(&[]).covers(None));
    }

    #[test]
    fn roles_round_trip_and_a_manager_names_depots() {
        for r in OperatorRole::ALL {
            assert_eq!(OperatorRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(OperatorRole::parse("admin"), None);
        assert_eq!(check_account(&[], &[]), Err(AccountShapeError::NoRole));
        assert_eq!(
            check_account(&[OperatorRole::DepotManager], &[]),
            Err(AccountShapeError::ManagerWithoutDepot)
        );
        assert!(check_account(&[OperatorRole::Approver], &[]).is_ok());
    }
}
