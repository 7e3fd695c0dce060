//! The `m.relates_to` reference from a response or receipt to its prompt.

use ruma::OwnedEventId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::validate::string_enum;

string_enum! {
    /// The relation type; only `m.reference` is used by G2C.
    pub enum RelationType {
        /// `m.reference`.
        Reference => "m.reference",
    }
}

/// `m.relates_to: { rel_type: "m.reference", event_id }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReferenceRelation {
    /// Must be `m.reference`.
    pub rel_type: RelationType,
    /// The event referenced: the prompt (for responses) or the submission
    /// (for receipts).
    #[schemars(schema_with = "crate::ids::event_id_schema")]
    pub event_id: OwnedEventId,
}

impl ReferenceRelation {
    /// An `m.reference` to `event_id`.
    pub fn new(event_id: OwnedEventId) -> Self {
        Self {
            rel_type: RelationType::Reference,
            event_id,
        }
    }

    /// Checks that the relation is an `m.reference`.
    pub fn check(&self) -> Result<(), ValidationError> {
        match self.rel_type {
            RelationType::Reference => Ok(()),
            _ => Err(ValidationError::InvalidRelation {
                reason: "rel_type must be m.reference",
            }),
        }
    }
}
